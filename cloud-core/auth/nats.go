package auth

import (
	"fmt"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/frame"
)

// ConfigureServer puts the NATS server options in operator mode, trusting
// only these keys: the application account (with JetStream) and the system
// account are served from memory.
func (k *Keys) ConfigureServer(opts *server.Options) error {
	opub, err := k.operator.PublicKey()
	if err != nil {
		return err
	}
	apub, _ := k.account.PublicKey()
	spub, _ := k.system.PublicKey()

	oc := jwt.NewOperatorClaims(opub)
	oc.Name = "tributary"
	oc.SystemAccount = spub
	if _, err := oc.Encode(k.operator); err != nil {
		return fmt.Errorf("sign operator: %w", err)
	}
	ac := jwt.NewAccountClaims(apub)
	ac.Name = "TRIBUTARY"
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	ajwt, err := ac.Encode(k.operator)
	if err != nil {
		return fmt.Errorf("sign account: %w", err)
	}
	sc := jwt.NewAccountClaims(spub)
	sc.Name = "SYS"
	sjwt, err := sc.Encode(k.operator)
	if err != nil {
		return fmt.Errorf("sign system account: %w", err)
	}
	res := &server.MemAccResolver{}
	if err := res.Store(apub, ajwt); err != nil {
		return err
	}
	if err := res.Store(spub, sjwt); err != nil {
		return err
	}
	opts.TrustedOperators = []*jwt.OperatorClaims{oc}
	opts.AccountResolver = res
	opts.SystemAccount = spub
	return nil
}

// userCreds signs a user JWT for claims and returns it with the user's seed.
func (k *Keys) userCreds(name string, perms jwt.Permissions, ttl time.Duration) (userJWT string, seed []byte, err error) {
	ukp, err := nkeys.CreateUser()
	if err != nil {
		return "", nil, err
	}
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = name
	uc.Permissions = perms
	if ttl > 0 {
		uc.Expires = time.Now().Add(ttl).Unix()
	}
	userJWT, err = uc.Encode(k.account)
	if err != nil {
		return "", nil, fmt.Errorf("sign user %s: %w", name, err)
	}
	seed, err = ukp.Seed()
	return userJWT, seed, err
}

// AgentCreds returns a NATS .creds file for agent: it may publish only on
// its own hello and ingest subjects and receive only on its own inbox.
func (k *Keys) AgentCreds(agent string, ttl time.Duration) ([]byte, error) {
	if err := models.ValidateID("agent", agent); err != nil {
		return nil, err
	}
	var p jwt.Permissions
	p.Pub.Allow.Add(frame.HelloPrefix+agent, frame.IngestPrefix+agent)
	p.Sub.Allow.Add(frame.InboxPrefix + agent + ".>")
	j, seed, err := k.userCreds("agent:"+agent, p, ttl)
	if err != nil {
		return nil, err
	}
	return jwt.FormatUserConfig(j, seed)
}

// ServiceCreds returns a user JWT and seed with every permission, for
// cloud-core's own connections to its embedded server.
func (k *Keys) ServiceCreds() (userJWT string, seed []byte, err error) {
	return k.userCreds("cloud-core", jwt.Permissions{}, 0)
}
