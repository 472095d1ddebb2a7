package main

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// natsTransport publishes with core NATS (no acknowledgement: the publish is
// written to the connection) and subscribes on a connection of its own.
type natsTransport struct {
	conns []*nats.Conn
}

func dialNats(address string, connections int) (transport, error) {
	t := &natsTransport{}
	for range connections + 1 {
		conn, err := nats.Connect("nats://"+address, nats.MaxReconnects(0), nats.NoEcho())
		if err != nil {
			t.close()
			return nil, fmt.Errorf("connect %s: %w", address, err)
		}
		t.conns = append(t.conns, conn)
	}
	return t, nil
}

func (t *natsTransport) subscribe(_ context.Context, subject string, deliver func([]byte)) error {
	conn := t.conns[len(t.conns)-1]
	if _, err := conn.Subscribe(subject, func(message *nats.Msg) { deliver(message.Data) }); err != nil {
		return err
	}
	// A round trip: the server has the subscription before the first publish.
	return conn.Flush()
}

func (t *natsTransport) publish(_ context.Context, connection int, subject string, body []byte) error {
	return t.conns[connection].Publish(subject, body)
}

func (t *natsTransport) close() {
	for _, conn := range t.conns {
		conn.Close()
	}
}
