// The Flink sink of the playground egress. Accepts only values of type
// io.statefun.playground/EgressRecord: a JSON object with exactly the string
// properties `topic` (one of the configured topics) and `payload`. Anything
// else throws, which fails the job, as in the playground image.
package statefun.parity;

import java.nio.charset.StandardCharsets;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.apache.flink.streaming.api.functions.sink.SinkFunction;

final class EgressSink implements SinkFunction<TypedValue> {
  private static final long serialVersionUID = 1L;
  private static final String RECORD_TYPE = "io.statefun.playground/EgressRecord";
  // Unknown properties fail (Jackson's default), as the image's mapper does.
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The JSON shape of an EgressRecord. */
  public static final class Record {
    public String topic;
    public String payload;
  }

  @Override
  public void invoke(TypedValue value, Context context) throws Exception {
    if (!RECORD_TYPE.equals(value.getTypename())) {
      throw new IllegalArgumentException("Received unexpected value " + value.getTypename());
    }
    Record record = JSON.readValue(value.getValue().toByteArray(), Record.class);
    if (record.payload == null) {
      throw new IllegalArgumentException("EgressRecord without payload");
    }
    EgressServer.append(record.topic, record.payload.getBytes(StandardCharsets.UTF_8));
  }
}
