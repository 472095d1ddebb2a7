// The cert-manager controller of the test environment, built from the
// controller packages of github.com/cert-manager/cert-manager. cert-manager's
// own main lives in a nested module (cmd/controller) that the Go module proxy
// does not serve, so this main does what that one does for a single replica:
// one context factory, the named controllers, the metrics and liveness
// endpoints. No leader election: one instance runs, and a leftover lease would
// only stall a restart.
//
// No webhook and no cainjector: without the admission webhook the API server
// neither defaults nor validates cert-manager objects, so tests write complete
// objects. Only the CA and SelfSigned issuers are linked in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/cert-manager/cert-manager/pkg/acme/accounts"
	"github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/healthz"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/metrics"
	"github.com/cert-manager/cert-manager/pkg/util"

	// Each package registers its controller (or issuer type) when imported.
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// The upstream defaults of --concurrent-workers and the liveness timeout.
const (
	workers        = 5
	healthzTimeout = 20 * time.Second
)

type options struct {
	kubeconfig               string
	clusterResourceNamespace string
	controllers              []string
	metricsAddress           string
	healthzAddress           string
}

func main() {
	var opts options
	var controllers string
	version := flag.Bool("version", false, "print the version and exit")
	flag.StringVar(&opts.kubeconfig, "kubeconfig", "", "kubeconfig of the API server")
	flag.StringVar(&opts.clusterResourceNamespace, "cluster-resource-namespace", "cert-manager",
		"namespace that holds the Secrets ClusterIssuers refer to")
	flag.StringVar(&controllers, "controllers", "", "comma-separated names of the controllers to run")
	flag.StringVar(&opts.metricsAddress, "metrics-listen-address", "127.0.0.1:9402", "Prometheus metrics address")
	flag.StringVar(&opts.healthzAddress, "healthz-listen-address", "127.0.0.1:9403", "GET /livez address")
	klog.InitFlags(nil)
	flag.Parse()
	if *version {
		fmt.Println(util.AppVersion)
		return
	}
	opts.controllers = strings.Split(controllers, ",")

	logf.InitLogs()
	defer logf.FlushLogs()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx = logf.NewContext(ctx, logf.Log, "controller")
	if err := run(ctx, opts); err != nil {
		logf.Log.Error(err, "controller exited")
		logf.FlushLogs()
		os.Exit(1)
	}
}

func run(rootCtx context.Context, opts options) error {
	log := logf.FromContext(rootCtx)
	factory, err := controller.NewContextFactory(rootCtx, controller.ContextOptions{
		Kubeconfig:         opts.kubeconfig,
		KubernetesAPIQPS:   50,
		KubernetesAPIBurst: 100,
		Clock:              clock.RealClock{},
		Metrics:            metrics.New(log, clock.RealClock{}),
		ACMEOptions:        controller.ACMEOptions{AccountRegistry: accounts.NewDefaultRegistry()},
		IssuerOptions:      controller.IssuerOptions{ClusterResourceNamespace: opts.clusterResourceNamespace},
	})
	if err != nil {
		return err
	}
	base, err := factory.Build()
	if err != nil {
		return err
	}

	known := controller.Known()
	loops := make([]controller.Interface, 0, len(opts.controllers))
	for _, name := range opts.controllers {
		construct, ok := known[name]
		if !ok {
			return fmt.Errorf("unknown controller %q", name)
		}
		loop, err := construct(factory)
		if err != nil {
			return fmt.Errorf("controller %s: %w", name, err)
		}
		loops = append(loops, loop)
	}
	log.Info("enabled controllers", "controllers", opts.controllers)

	metricsListener, err := net.Listen("tcp", opts.metricsAddress)
	if err != nil {
		return err
	}
	healthzListener, err := net.Listen("tcp", opts.healthzAddress)
	if err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(rootCtx)
	metricsServer := base.Metrics.NewServer(metricsListener)
	g.Go(func() error {
		if err := metricsServer.Serve(metricsListener); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return metricsServer.Shutdown(shutdown)
	})
	g.Go(func() error { return healthz.NewServer(healthzTimeout).Start(ctx, healthzListener) })
	for _, loop := range loops {
		g.Go(func() error { return loop.Run(workers, ctx) })
	}

	base.SharedInformerFactory.Start(ctx.Done())
	base.KubeSharedInformerFactory.Start(ctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	err = g.Wait()
	base.HTTP01ResourceMetadataInformersFactory.Shutdown()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
	return err
}
