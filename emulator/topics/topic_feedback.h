// Egress records that come back in through an ingress: a function writes to a
// Kafka egress on topic T (or a Kinesis egress on stream T) and a Kafka
// (Kinesis) ingress of the same module.yaml reads T — a pipeline through the
// broker. On a cluster the ingress consumes what the egress produced; with
// emulated topics nothing would carry the record across, so the record is
// routed here, as `statefun topic produce` routes one (topic_routing.h), and
// the engine appends the topic record and its messages in the commit of the
// step that sent it (RoutedEgress::feedback): exactly once, like the step.
//
// In connect mode the broker carries Kafka records itself: `feed_kafka`
// false leaves them alone (Kinesis stays emulated, so it is always fed).
//
// A record the ingress would refuse (no key: an empty KafkaProducerRecord
// key is produced as a null key, and StateFun's ingress fails the job on it)
// is an error that fails the sending function's response, so the step is
// retried with the reason shown, as a cluster would restart the job.
#pragma once

#include "emulator/config/module_config.h"
#include "runtime/core/result.h"
#include "runtime/engine/engine_types.h"
#include "runtime/protocol/model.h"

namespace statefun::emulator {

// Sets `routed.feedback` when an ingress of `config` reads the topic that the
// egress record `message` (already validated into `routed`) was written to.
Result<void> add_topic_feedback(const ModuleConfig& config, const EgressMessage& message,
                                RoutedEgress& routed, bool feed_kafka);

}  // namespace statefun::emulator
