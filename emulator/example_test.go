package emulator_test

import (
	"context"
	"fmt"
	"time"

	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/config/logger/momento_default_logger"
	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
	"google.golang.org/grpc/codes"

	"github.com/counterlab/counterlab/emulator"
)

// The emulator in a program or test: start it, point the real SDK at it
// through the momento-local credential provider, and inspect what was
// stored. In a test, emulator.RunT(t) and s.Client(t) do the setup and the
// cleanup in one line each.
func Example() {
	s, err := emulator.Run()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	s.CreateCache("counters")

	cred, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{
		Hostname: s.Host(), Port: uint(s.Port()),
	})
	if err != nil {
		panic(err)
	}
	logs := momento_default_logger.NewDefaultMomentoLoggerFactory(momento_default_logger.WARN)
	client, err := momento.NewCacheClient(config.LaptopLatestWithLogger(logs), cred, time.Minute)
	if err != nil {
		panic(err)
	}
	defer client.Close()

	resp, err := client.Increment(context.Background(), &momento.IncrementRequest{
		CacheName: "counters", Field: momento.String("visits"), Amount: 1,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("after increment:", resp.(*responses.IncrementSuccess).Value())

	v, _ := s.Get("counters", "visits")
	fmt.Printf("stored: %q\n", v)

	s.FastForward(2 * time.Minute) // past the client's one-minute TTL
	_, ok := s.Get("counters", "visits")
	fmt.Println("present after two minutes:", ok)

	// Output:
	// after increment: 1
	// stored: "1"
	// present after two minutes: false
}

// Faults set from Go stay until removed: here every increment in the cache
// "counters" fails with Unavailable, as if the service were down.
func ExampleServer_AddFault() {
	s, err := emulator.Run()
	if err != nil {
		panic(err)
	}
	defer s.Close()

	id := s.AddFault(emulator.Fault{Cache: "counters", RPC: "increment", Code: codes.Unavailable})
	fmt.Println(s.Faults()[0])
	s.RemoveFault(id)
	fmt.Println(len(s.Faults()))

	// Output:
	// fault cache=counters rpc=increment error=unavailable
	// 0
}
