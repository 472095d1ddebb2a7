package main

import (
	"fmt"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// crossRefs checks what no single message's rules can, and Envoy refuses
// when it loads a bootstrap:
//   - cluster names are unique, and so are listener names and addresses;
//   - a network filter chain has a terminal filter only at its end, and an
//     HTTP filter chain ends in the router and has it nowhere else;
//   - filters carry a typed_config (Envoy finds a filter by that type, no
//     longer by its name);
//   - inline route configs name only defined clusters and repeat no domain.
func crossRefs(b *bootstrapv3.Bootstrap) []string {
	var r report
	static := b.GetStaticResources()

	clusters := map[string]int{}
	for i, c := range static.GetClusters() {
		if j, dup := clusters[c.GetName()]; dup {
			r.add(fmt.Sprintf("static_resources.clusters[%d].name", i),
				fmt.Sprintf("duplicate cluster name %q (also clusters[%d])", c.GetName(), j))
			continue
		}
		clusters[c.GetName()] = i
	}
	// With CDS, routes may name clusters that arrive later.
	checkClusters := b.GetDynamicResources().GetCdsConfig() == nil

	names, addrs := map[string]int{}, map[string]int{}
	for i, l := range static.GetListeners() {
		lp := fmt.Sprintf("static_resources.listeners[%d]", i)
		if j, dup := names[l.GetName()]; dup && l.GetName() != "" {
			r.add(join(lp, "name"), fmt.Sprintf("duplicate listener name %q (also listeners[%d])", l.GetName(), j))
		} else {
			names[l.GetName()] = i
		}
		if sa := l.GetAddress().GetSocketAddress(); sa != nil && sa.GetPortValue() != 0 &&
			(l.GetBindToPort() == nil || l.GetBindToPort().GetValue()) {
			key := fmt.Sprintf("%s %s:%d", sa.GetProtocol(), sa.GetAddress(), sa.GetPortValue())
			if j, dup := addrs[key]; dup {
				r.add(join(lp, "address"), fmt.Sprintf("duplicate address %s:%d (also listeners[%d])", sa.GetAddress(), sa.GetPortValue(), j))
			} else {
				addrs[key] = i
			}
		}
		for j, fc := range l.GetFilterChains() {
			r.filterChain(fc, fmt.Sprintf("%s.filter_chains[%d]", lp, j), clusters, checkClusters)
		}
		if fc := l.GetDefaultFilterChain(); fc != nil {
			r.filterChain(fc, join(lp, "default_filter_chain"), clusters, checkClusters)
		}
	}
	return r
}

// Network filters after which nothing runs.
var terminalNetworkFilters = map[protoreflect.FullName]bool{
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager": true,
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy":                            true,
	"envoy.extensions.filters.network.direct_response.v3.Config":                        true,
	"envoy.extensions.filters.network.echo.v3.Echo":                                     true,
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy":                        true,
	"envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy":                      true,
	"envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy":                        true,
}

// unpack returns the message in an Any, or nil when it has none or cannot be
// unpacked (validation has reported that already).
func unpack(a *anypb.Any) proto.Message {
	if a == nil {
		return nil
	}
	m, err := anypb.UnmarshalNew(a, proto.UnmarshalOptions{})
	if err != nil {
		return nil
	}
	return m
}

func (r *report) filterChain(fc *listenerv3.FilterChain, path string, clusters map[string]int, checkClusters bool) {
	filters := fc.GetFilters()
	for i, f := range filters {
		fp := fmt.Sprintf("%s.filters[%d]", path, i)
		if f.GetTypedConfig() == nil && f.GetConfigDiscovery() == nil {
			r.add(join(fp, "typed_config"), fmt.Sprintf("filter %q has none (Envoy finds filters by this type)", f.GetName()))
			continue
		}
		inner := unpack(f.GetTypedConfig())
		if inner == nil {
			continue
		}
		typeName := inner.ProtoReflect().Descriptor().FullName()
		if terminalNetworkFilters[typeName] && i != len(filters)-1 {
			r.add(fp, fmt.Sprintf("terminal filter %q (%s) must be the last in its filter chain", f.GetName(), typeName))
		}
		if hcm, ok := inner.(*hcmv3.HttpConnectionManager); ok {
			r.httpConnectionManager(hcm, join(fp, "typed_config"), clusters, checkClusters)
		}
	}
}

func (r *report) httpConnectionManager(hcm *hcmv3.HttpConnectionManager, path string, clusters map[string]int, checkClusters bool) {
	filters := hcm.GetHttpFilters()
	// Envoy adds the router itself to an empty chain.
	for i, f := range filters {
		fp := fmt.Sprintf("%s.http_filters[%d]", path, i)
		if f.GetTypedConfig() == nil && f.GetConfigDiscovery() == nil {
			if !f.GetIsOptional() {
				r.add(join(fp, "typed_config"), fmt.Sprintf("filter %q has none (Envoy finds filters by this type)", f.GetName()))
			}
			continue
		}
		_, isRouter := unpack(f.GetTypedConfig()).(*routerv3.Router)
		last := i == len(filters)-1
		switch {
		case isRouter && !last:
			r.add(fp, fmt.Sprintf("the router (%q) must be the last HTTP filter", f.GetName()))
		case !isRouter && last && f.GetConfigDiscovery() == nil:
			r.add(fp, fmt.Sprintf("the last HTTP filter is %q, not the router (envoy.filters.http.router): Envoy refuses a chain that ends in a non-terminal filter", f.GetName()))
		}
	}

	rc := hcm.GetRouteConfig()
	if rc == nil {
		return // RDS or scoped routes: nothing inline to check
	}
	rp := join(path, "route_config")
	validate := checkClusters && (rc.GetValidateClusters() == nil || rc.GetValidateClusters().GetValue())
	domains := map[string]int{}
	for i, vh := range rc.GetVirtualHosts() {
		vp := fmt.Sprintf("%s.virtual_hosts[%d]", rp, i)
		for j, d := range vh.GetDomains() {
			// Envoy matches hosts case-insensitively, so it compares domains so too.
			if k, dup := domains[strings.ToLower(d)]; dup {
				r.add(fmt.Sprintf("%s.domains[%d]", vp, j), fmt.Sprintf("domain %q is already in virtual_hosts[%d] (Envoy requires unique domains)", d, k))
			} else {
				domains[strings.ToLower(d)] = i
			}
		}
		if !validate {
			continue
		}
		for j, route := range vh.GetRoutes() {
			r.routeClusters(route.GetRoute(), fmt.Sprintf("%s.routes[%d].route", vp, j), clusters)
		}
	}
}

func (r *report) routeClusters(action *routev3.RouteAction, path string, clusters map[string]int) {
	if action == nil {
		return
	}
	if name := action.GetCluster(); name != "" {
		if _, ok := clusters[name]; !ok {
			r.add(join(path, "cluster"), fmt.Sprintf("unknown cluster %q (not in static_resources.clusters)", name))
		}
	}
	for k, wc := range action.GetWeightedClusters().GetClusters() {
		if _, ok := clusters[wc.GetName()]; !ok && wc.GetName() != "" {
			r.add(fmt.Sprintf("%s.weighted_clusters.clusters[%d].name", path, k), fmt.Sprintf("unknown cluster %q (not in static_resources.clusters)", wc.GetName()))
		}
	}
	for k, mp := range action.GetRequestMirrorPolicies() {
		if _, ok := clusters[mp.GetCluster()]; !ok && mp.GetCluster() != "" {
			r.add(fmt.Sprintf("%s.request_mirror_policies[%d].cluster", path, k), fmt.Sprintf("unknown cluster %q (not in static_resources.clusters)", mp.GetCluster()))
		}
	}
}
