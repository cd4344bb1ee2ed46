// The Flink source of the playground ingress: hands the records IngressServer
// accepted to the job, one at a time, under the checkpoint lock. Prints
// "PARITY-RUNNING" to stderr once it runs, i.e. once the job is deployed: the
// test fixture's readiness signal.
package statefun.parity;

import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.streaming.api.functions.source.SourceFunction;

final class IngressSource
    implements SourceFunction<IngressRecord>, ResultTypeQueryable<IngressRecord> {
  private static final long serialVersionUID = 1L;
  private volatile boolean running = true;

  @Override
  public void run(SourceContext<IngressRecord> ctx) throws Exception {
    System.err.println("PARITY-RUNNING");
    System.err.flush();
    while (running) {
      IngressRecord record = IngressServer.QUEUE.poll(50, TimeUnit.MILLISECONDS);
      if (record != null) {
        synchronized (ctx.getCheckpointLock()) {
          ctx.collect(record);
        }
      }
    }
  }

  @Override
  public void cancel() {
    running = false;
  }

  @Override
  public TypeInformation<IngressRecord> getProducedType() {
    return TypeInformation.of(IngressRecord.class);
  }
}
