package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// SubscriberOptions configures a subscription to an external broker.
type SubscriberOptions struct {
	// Broker is the broker URL, e.g. tcp://host:1883. Required.
	Broker string
	// ClientID is the MQTT client id; the session is persistent, so it must
	// be stable across restarts (the agent id is). Required.
	ClientID string
	// Filters are the topic filters to subscribe to with QoS 1. Required.
	Filters []string
	// Username and Password authenticate at the broker, if set.
	Username, Password string
	// Handler takes every message in. Required.
	Handler *Handler
	// Logger; nil discards.
	Logger *slog.Logger
}

// Subscriber takes messages from an external broker. It uses a persistent
// session (clean session off) with QoS 1 and acknowledges a message only
// after Handler.Handle has made it durable, so the broker keeps and resends
// whatever the agent did not acknowledge, across agent restarts.
type Subscriber struct {
	o         SubscriberOptions
	logger    *slog.Logger
	connected atomic.Bool
}

// NewSubscriber checks the options; Run connects.
func NewSubscriber(o SubscriberOptions) (*Subscriber, error) {
	if o.Broker == "" || o.ClientID == "" || len(o.Filters) == 0 || o.Handler == nil {
		return nil, errors.New("collect: subscriber needs a broker, a client id, filters and a handler")
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Subscriber{o: o, logger: logger.With("component", "mqtt-subscriber", "broker", o.Broker)}, nil
}

// Connected reports whether the subscriber is connected to its broker.
func (s *Subscriber) Connected() bool { return s.connected.Load() }

// Run connects (retrying until ctx ends), subscribes, and handles messages
// until ctx ends. Messages are handled one at a time in arrival order, which
// keeps each device's points in order.
func (s *Subscriber) Run(ctx context.Context) error {
	filters := make(map[string]byte, len(s.o.Filters))
	for _, f := range s.o.Filters {
		filters[f] = 1
	}
	onMessage := func(_ paho.Client, m paho.Message) {
		r := s.o.Handler.Handle(ctx, m.Topic(), m.Payload(), time.Now())
		if r.Outcome.Ack() {
			m.Ack()
			return
		}
		s.logger.Warn("message not acknowledged; the broker will resend it", "topic", m.Topic(), "outcome", r.Outcome, "err", r.Err)
	}
	opts := paho.NewClientOptions().
		AddBroker(s.o.Broker).
		SetClientID(s.o.ClientID).
		SetCleanSession(false).
		SetAutoAckDisabled(true).
		SetOrderMatters(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(30 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetDefaultPublishHandler(onMessage).
		SetOnConnectHandler(func(c paho.Client) {
			s.connected.Store(true)
			s.logger.Info("connected")
			// paho runs this handler on a goroutine of its own: waiting is fine.
			tok := c.SubscribeMultiple(filters, onMessage)
			if tok.WaitTimeout(30*time.Second) && tok.Error() != nil {
				s.logger.Error("subscribe failed", "err", tok.Error())
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			s.connected.Store(false)
			s.logger.Warn("connection lost; reconnecting", "err", err)
		})
	if s.o.Username != "" {
		opts.SetUsername(s.o.Username).SetPassword(s.o.Password)
	}
	c := paho.NewClient(opts)
	tok := c.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("connect to MQTT broker %s: %w", s.o.Broker, err)
		}
	case <-ctx.Done():
	}
	<-ctx.Done()
	c.Disconnect(250)
	s.connected.Store(false)
	return nil
}
