// One message accepted by the playground ingress: its target address and its
// argument (typename + bytes). A Flink POJO (public fields, no-arg constructor)
// so Flink serializes it without Kryo.
package statefun.parity;

public class IngressRecord {
  public String namespace;
  public String type;
  public String id;
  public String typename;
  public byte[] value;

  public IngressRecord() {}

  public IngressRecord(String namespace, String type, String id, String typename, byte[] value) {
    this.namespace = namespace;
    this.type = type;
    this.id = id;
    this.typename = typename;
    this.value = value;
  }
}
