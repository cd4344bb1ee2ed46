// {{project}}: one function to start from, written with the official Go SDK
// (github.com/apache/flink-statefun/statefun-sdk-go/v3 v3.3.0).
//
//	{{namespace}}/hello  counts the messages each id received (state `count`)
//	                   and writes a line to the playground egress topic `out`.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

// EgressRecord is what the playground egress expects.
type EgressRecord struct {
	Topic   string `json:"topic"`
	Payload string `json:"payload"`
}

var (
	egressRecordType = statefun.MakeJsonType(statefun.TypeNameFrom("io.statefun.playground/EgressRecord"))
	playgroundEgress = statefun.TypeNameFrom("io.statefun.playground/egress")

	helloType = statefun.TypeNameFrom("{{namespace}}/hello")
	count     = statefun.ValueSpec{Name: "count", ValueType: statefun.Int32Type}
)

func hello(ctx statefun.Context, message statefun.Message) error {
	// Your code goes here. The message is in `message` (message.As(type, &v)),
	// the id in ctx.Self().Id, this id's state in ctx.Storage().
	var n int32
	ctx.Storage().Get(count, &n)
	n++
	ctx.Storage().Set(count, n)
	ctx.SendEgress(statefun.GenericEgressBuilder{
		Target:    playgroundEgress,
		Value:     EgressRecord{Topic: "out", Payload: fmt.Sprintf("hello %s (message %d)", ctx.Self().Id, n)},
		ValueType: egressRecordType,
	})
	return nil
}

func main() {
	builder := statefun.StatefulFunctionsBuilder()
	if err := builder.WithSpec(statefun.StatefulFunctionSpec{
		FunctionType: helloType,
		States:       []statefun.ValueSpec{count},
		Function:     statefun.StatefulFunctionPointer(hello),
	}); err != nil {
		log.Fatal(err)
	}

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
