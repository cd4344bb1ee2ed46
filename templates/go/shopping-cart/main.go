// {{project}}: a shopping cart, written with the official Go SDK
// (github.com/apache/flink-statefun/statefun-sdk-go/v3 v3.3.0).
//
//	{{namespace}}/cart/<user>       the user's cart (state `items`: item -> quantity).
//	    AddToCart {item, quantity}   asks the item's inventory to reserve it;
//	    Reserved {item, quantity, ok}  the inventory's answer: add it if ok;
//	    Checkout {}                  a receipt on the egress topic `receipts`,
//	                                 and an empty cart.
//	{{namespace}}/inventory/<item>  the stock of one item (state `stock`).
//	    Restock {quantity}           adds to the stock;
//	    Reserve {quantity}           takes from the stock if there is enough,
//	                                 and answers the cart with Reserved.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

type AddToCart struct {
	Item     string `json:"item"`
	Quantity int32  `json:"quantity"`
}

type Quantity struct {
	Quantity int32 `json:"quantity"`
}

type Reserved struct {
	Item     string `json:"item"`
	Quantity int32  `json:"quantity"`
	Ok       bool   `json:"ok"`
}

// Receipt's fields are in alphabetical order, and encoding/json sorts map
// keys: every language writes the same bytes.
type Receipt struct {
	Items map[string]int32 `json:"items"`
	Total int32            `json:"total"`
	User  string           `json:"user"`
}

// EgressRecord is what the playground egress expects.
type EgressRecord struct {
	Topic   string `json:"topic"`
	Payload string `json:"payload"`
}

var (
	// An ingress request says which message it carries in its Content-Type,
	// e.g. application/vnd.{{namespace}}/AddToCart.
	addToCartType    = statefun.MakeJsonType(statefun.TypeNameFrom("{{namespace}}/AddToCart"))
	checkoutType     = statefun.MakeJsonType(statefun.TypeNameFrom("{{namespace}}/Checkout"))
	restockType      = statefun.MakeJsonType(statefun.TypeNameFrom("{{namespace}}/Restock"))
	reserveType      = statefun.MakeJsonType(statefun.TypeNameFrom("{{namespace}}/Reserve"))
	reservedType     = statefun.MakeJsonType(statefun.TypeNameFrom("{{namespace}}/Reserved"))
	cartItemsType    = statefun.MakeJsonType(statefun.TypeNameFrom("{{namespace}}/CartItems"))
	egressRecordType = statefun.MakeJsonType(statefun.TypeNameFrom("io.statefun.playground/EgressRecord"))
	playgroundEgress = statefun.TypeNameFrom("io.statefun.playground/egress")

	cartType      = statefun.TypeNameFrom("{{namespace}}/cart")
	inventoryType = statefun.TypeNameFrom("{{namespace}}/inventory")
	items         = statefun.ValueSpec{Name: "items", ValueType: cartItemsType}
	stock         = statefun.ValueSpec{Name: "stock", ValueType: statefun.Int32Type}
)

func cart(ctx statefun.Context, message statefun.Message) error {
	switch {
	case message.Is(addToCartType):
		var request AddToCart
		if err := message.As(addToCartType, &request); err != nil {
			return err
		}
		ctx.Send(statefun.MessageBuilder{
			Target:    statefun.Address{FunctionType: inventoryType, Id: request.Item},
			Value:     Quantity{Quantity: request.Quantity},
			ValueType: reserveType,
		})
	case message.Is(reservedType):
		var reply Reserved
		if err := message.As(reservedType, &reply); err != nil {
			return err
		}
		if reply.Ok {
			cartItems := map[string]int32{}
			ctx.Storage().Get(items, &cartItems)
			cartItems[reply.Item] += reply.Quantity
			ctx.Storage().Set(items, cartItems)
		}
	case message.Is(checkoutType):
		receipt := Receipt{Items: map[string]int32{}, User: ctx.Self().Id}
		ctx.Storage().Get(items, &receipt.Items)
		for _, quantity := range receipt.Items {
			receipt.Total += quantity
		}
		payload, err := json.Marshal(receipt)
		if err != nil {
			return err
		}
		ctx.SendEgress(statefun.GenericEgressBuilder{
			Target:    playgroundEgress,
			Value:     EgressRecord{Topic: "receipts", Payload: string(payload)},
			ValueType: egressRecordType,
		})
		ctx.Storage().Remove(items)
	default:
		return fmt.Errorf("cart: unexpected message type %s", message.ValueTypeName())
	}
	return nil
}

func inventory(ctx statefun.Context, message statefun.Message) error {
	var inStock int32
	ctx.Storage().Get(stock, &inStock)
	switch {
	case message.Is(restockType):
		var restock Quantity
		if err := message.As(restockType, &restock); err != nil {
			return err
		}
		ctx.Storage().Set(stock, inStock+restock.Quantity)
	case message.Is(reserveType):
		var reserve Quantity
		if err := message.As(reserveType, &reserve); err != nil {
			return err
		}
		ok := reserve.Quantity <= inStock
		if ok {
			ctx.Storage().Set(stock, inStock-reserve.Quantity)
		}
		// The cart that asked is the caller; answer it.
		if ctx.Caller() == nil {
			return fmt.Errorf("inventory: a Reserve must come from a cart")
		}
		ctx.Send(statefun.MessageBuilder{
			Target:    *ctx.Caller(),
			Value:     Reserved{Item: ctx.Self().Id, Quantity: reserve.Quantity, Ok: ok},
			ValueType: reservedType,
		})
	default:
		return fmt.Errorf("inventory: unexpected message type %s", message.ValueTypeName())
	}
	return nil
}

func main() {
	builder := statefun.StatefulFunctionsBuilder()
	must(builder.WithSpec(statefun.StatefulFunctionSpec{
		FunctionType: cartType,
		States:       []statefun.ValueSpec{items},
		Function:     statefun.StatefulFunctionPointer(cart),
	}))
	must(builder.WithSpec(statefun.StatefulFunctionSpec{
		FunctionType: inventoryType,
		States:       []statefun.ValueSpec{stock},
		Function:     statefun.StatefulFunctionPointer(inventory),
	}))

	port := os.Getenv("PORT")
	if port == "" {
		port = "8000"
	}
	// Only this machine can reach it unless HOST says otherwise (HOST=0.0.0.0
	// in a container, where the StateFun runtime connects from elsewhere).
	host := os.Getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	address := net.JoinHostPort(host, port)
	http.Handle("/statefun", builder.AsHandler())
	log.Printf("functions listening on %s", address)
	log.Fatal(http.ListenAndServe(address, nil))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
