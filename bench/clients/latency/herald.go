package main

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"herald/bench/clients/latency/brokerpb"
)

// heraldTransport publishes over unary Publish, each publishing connection a
// gRPC channel of its own, and subscribes over one more.
type heraldTransport struct {
	conns []*grpc.ClientConn
}

func dialHerald(address string, connections int) (transport, error) {
	t := &heraldTransport{}
	// One more than the publishers: the subscriber's own connection.
	for range connections + 1 {
		conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.close()
			return nil, fmt.Errorf("dial %s: %w", address, err)
		}
		t.conns = append(t.conns, conn)
	}
	return t, nil
}

func (t *heraldTransport) subscribe(ctx context.Context, subject string, deliver func([]byte)) error {
	client := brokerpb.NewBrokerClient(t.conns[len(t.conns)-1])
	stream, err := client.Subscribe(ctx, &brokerpb.SubscribeRequest{Subject: subject})
	if err != nil {
		return err
	}
	// The broker sends its headers once the subscription is registered.
	if _, err := stream.Header(); err != nil {
		return err
	}
	go func() {
		for {
			message, err := stream.Recv()
			if err != nil {
				return
			}
			deliver(message.GetBody())
		}
	}()
	return nil
}

func (t *heraldTransport) publish(ctx context.Context, connection int, subject string, body []byte) error {
	client := brokerpb.NewBrokerClient(t.conns[connection])
	_, err := client.Publish(ctx, &brokerpb.PublishRequest{Subject: subject, Body: body})
	return err
}

func (t *heraldTransport) close() {
	for _, conn := range t.conns {
		_ = conn.Close()
	}
}
