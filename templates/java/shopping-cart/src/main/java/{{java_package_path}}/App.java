package {{java_package}};

import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.statefun.sdk.java.Address;
import org.apache.flink.statefun.sdk.java.Context;
import org.apache.flink.statefun.sdk.java.StatefulFunctionSpec;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.ValueSpec;
import org.apache.flink.statefun.sdk.java.message.EgressMessageBuilder;
import org.apache.flink.statefun.sdk.java.message.Message;
import org.apache.flink.statefun.sdk.java.message.MessageBuilder;
import org.apache.flink.statefun.sdk.java.types.Type;

/**
 * {{project}}: a shopping cart, written with the official Java SDK
 * (org.apache.flink:statefun-sdk-java 3.3.0).
 *
 * <ul>
 *   <li>{{namespace}}/cart/&lt;user&gt; is the user's cart (state `items`: item -> quantity).
 *       AddToCart {item, quantity} asks the item's inventory to reserve it; Reserved {item,
 *       quantity, ok} is the inventory's answer: add it if ok; Checkout {} writes a receipt to
 *       the egress topic `receipts` and empties the cart.
 *   <li>{{namespace}}/inventory/&lt;item&gt; is the stock of one item (state `stock`). Restock
 *       {quantity} adds to the stock; Reserve {quantity} takes from it if there is enough and
 *       answers the cart with Reserved.
 * </ul>
 */
public final class App {
  public record AddToCart(String item, int quantity) {}

  public record Quantity(int quantity) {}

  public record Reserved(String item, int quantity, boolean ok) {}

  /** Item name -> quantity, in alphabetical order. */
  public static final class CartItems extends TreeMap<String, Integer> {}

  /** Fields in alphabetical order: every language writes the same bytes. */
  public record Receipt(CartItems items, int total, String user) {}

  /** What the playground egress expects. */
  public record EgressRecord(String topic, String payload) {}

  // An ingress request says which message it carries in its Content-Type, e.g.
  // application/vnd.{{namespace}}/AddToCart.
  static final Type<AddToCart> ADD_TO_CART =
      StatefunServer.jsonType("{{namespace}}/AddToCart", AddToCart.class);
  static final Type<Quantity> CHECKOUT =
      StatefunServer.jsonType("{{namespace}}/Checkout", Quantity.class);
  static final Type<Quantity> RESTOCK =
      StatefunServer.jsonType("{{namespace}}/Restock", Quantity.class);
  static final Type<Quantity> RESERVE =
      StatefunServer.jsonType("{{namespace}}/Reserve", Quantity.class);
  static final Type<Reserved> RESERVED =
      StatefunServer.jsonType("{{namespace}}/Reserved", Reserved.class);
  static final Type<CartItems> CART_ITEMS =
      StatefunServer.jsonType("{{namespace}}/CartItems", CartItems.class);
  static final Type<EgressRecord> EGRESS_RECORD =
      StatefunServer.jsonType("io.statefun.playground/EgressRecord", EgressRecord.class);
  static final TypeName PLAYGROUND_EGRESS =
      TypeName.typeNameFromString("io.statefun.playground/egress");

  static final TypeName CART = TypeName.typeNameFromString("{{namespace}}/cart");
  static final TypeName INVENTORY = TypeName.typeNameFromString("{{namespace}}/inventory");
  static final ValueSpec<CartItems> ITEMS = ValueSpec.named("items").withCustomType(CART_ITEMS);
  static final ValueSpec<Integer> STOCK = ValueSpec.named("stock").withIntType();

  static CompletableFuture<Void> cart(Context context, Message message) {
    if (message.is(ADD_TO_CART)) {
      AddToCart request = message.as(ADD_TO_CART);
      context.send(
          MessageBuilder.forAddress(INVENTORY, request.item())
              .withCustomType(RESERVE, new Quantity(request.quantity()))
              .build());
    } else if (message.is(RESERVED)) {
      Reserved reply = message.as(RESERVED);
      if (reply.ok()) {
        CartItems items = context.storage().get(ITEMS).orElseGet(CartItems::new);
        items.merge(reply.item(), reply.quantity(), Integer::sum);
        context.storage().set(ITEMS, items);
      }
    } else if (message.is(CHECKOUT)) {
      CartItems items = context.storage().get(ITEMS).orElseGet(CartItems::new);
      int total = items.values().stream().mapToInt(Integer::intValue).sum();
      String receipt = StatefunServer.toJson(new Receipt(items, total, context.self().id()));
      context.send(
          EgressMessageBuilder.forEgress(PLAYGROUND_EGRESS)
              .withCustomType(EGRESS_RECORD, new EgressRecord("receipts", receipt))
              .build());
      context.storage().remove(ITEMS);
    } else {
      throw new IllegalArgumentException("cart: unexpected message type " + message.valueTypeName());
    }
    return context.done();
  }

  static CompletableFuture<Void> inventory(Context context, Message message) {
    int stock = context.storage().get(STOCK).orElse(0);
    if (message.is(RESTOCK)) {
      context.storage().set(STOCK, stock + message.as(RESTOCK).quantity());
    } else if (message.is(RESERVE)) {
      int quantity = message.as(RESERVE).quantity();
      boolean ok = quantity <= stock;
      if (ok) {
        context.storage().set(STOCK, stock - quantity);
      }
      // The cart that asked is the caller; answer it.
      Address cart =
          context
              .caller()
              .orElseThrow(() -> new IllegalStateException("a Reserve must come from a cart"));
      context.send(
          MessageBuilder.forAddress(cart)
              .withCustomType(RESERVED, new Reserved(context.self().id(), quantity, ok))
              .build());
    } else {
      throw new IllegalArgumentException(
          "inventory: unexpected message type " + message.valueTypeName());
    }
    return context.done();
  }

  public static void main(String[] args) {
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(CART).withValueSpec(ITEMS).withSupplier(() -> App::cart));
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(INVENTORY)
            .withValueSpec(STOCK)
            .withSupplier(() -> App::inventory));
    StatefunServer.serve(functions);
  }
}
