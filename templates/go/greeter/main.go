// {{project}}: the StateFun greeter, written with the official Go SDK
// (github.com/apache/flink-statefun/statefun-sdk-go/v3 v3.3.0).
//
//	{{namespace}}/person   counts each person's visits (state `visits`) and
//	                     asks {{namespace}}/greeter to greet them.
//	{{namespace}}/greeter  turns a visit count into a greeting on the
//	                     playground egress topic `greetings`.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

// GreetRequest is the JSON message both functions receive.
type GreetRequest struct {
	Name   string `json:"name"`
	Visits int32  `json:"visits"`
}

// EgressRecord is what the playground egress expects.
type EgressRecord struct {
	Topic   string `json:"topic"`
	Payload string `json:"payload"`
}

var (
	// An ingress request says which message it carries in its Content-Type:
	// application/vnd.{{namespace}}/GreetRequest.
	greetRequestType = statefun.MakeJsonType(statefun.TypeNameFrom("{{namespace}}/GreetRequest"))
	egressRecordType = statefun.MakeJsonType(statefun.TypeNameFrom("io.statefun.playground/EgressRecord"))
	playgroundEgress = statefun.TypeNameFrom("io.statefun.playground/egress")

	personType  = statefun.TypeNameFrom("{{namespace}}/person")
	greeterType = statefun.TypeNameFrom("{{namespace}}/greeter")
	visits      = statefun.ValueSpec{Name: "visits", ValueType: statefun.Int32Type}
)

func person(ctx statefun.Context, message statefun.Message) error {
	var request GreetRequest
	if err := message.As(greetRequestType, &request); err != nil {
		return fmt.Errorf("person: %w", err)
	}
	// A state that was never written leaves count at 0.
	var count int32
	ctx.Storage().Get(visits, &count)
	count++
	ctx.Storage().Set(visits, count)
	ctx.Send(statefun.MessageBuilder{
		Target:    statefun.Address{FunctionType: greeterType, Id: request.Name},
		Value:     GreetRequest{Name: request.Name, Visits: count},
		ValueType: greetRequestType,
	})
	return nil
}

func greetingFor(name string, visits int32) string {
	switch visits {
	case 1:
		return fmt.Sprintf("Hello %s! Nice to meet you.", name)
	case 2:
		return fmt.Sprintf("Hello %s! Good to see you again.", name)
	default:
		return fmt.Sprintf("Hello %s! This is visit number %d.", name, visits)
	}
}

func greeter(ctx statefun.Context, message statefun.Message) error {
	var request GreetRequest
	if err := message.As(greetRequestType, &request); err != nil {
		return fmt.Errorf("greeter: %w", err)
	}
	ctx.SendEgress(statefun.GenericEgressBuilder{
		Target:    playgroundEgress,
		Value:     EgressRecord{Topic: "greetings", Payload: greetingFor(request.Name, request.Visits)},
		ValueType: egressRecordType,
	})
	return nil
}

func main() {
	builder := statefun.StatefulFunctionsBuilder()
	must(builder.WithSpec(statefun.StatefulFunctionSpec{
		FunctionType: personType,
		States:       []statefun.ValueSpec{visits},
		Function:     statefun.StatefulFunctionPointer(person),
	}))
	must(builder.WithSpec(statefun.StatefulFunctionSpec{
		FunctionType: greeterType,
		Function:     statefun.StatefulFunctionPointer(greeter),
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
