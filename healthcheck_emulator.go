package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/counterlab/counterlab/emulator/protocol"
)

// pingEmulator calls cache_client.Ping on the plaintext gRPC server at the
// host and port of healthURL. The image runs either the web app or the
// emulator on the same address, and the emulator answers no HTTP, so its
// health check is a Ping.
func pingEmulator(ctx context.Context, healthURL string, timeout time.Duration) error {
	u, err := url.Parse(healthURL)
	if err != nil {
		return fmt.Errorf("health URL %q: %w", healthURL, err)
	}
	addr := u.Host

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	conn, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("gRPC client for %s: %w", addr, err)
	}
	defer conn.Close()

	method := "/" + pb.PingService + "/Ping"
	if err := conn.Invoke(ctx, method, &pb.Empty{}, &pb.Empty{}); err != nil {
		return fmt.Errorf("gRPC %s at %s: %w", method, addr, err)
	}
	return nil
}
