// `statefun topic produce|consume|ls`: emulated Kafka topics and Kinesis
// streams (docs/kafka-kinesis.md). produce needs a running statefun dev (the
// record is routed and committed by it); consume and ls read a running one
// or, offline, its data directory.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_topic_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
