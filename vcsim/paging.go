package main

import (
	"strconv"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// pagingCollector adds RetrieveOptions.maxObjects paging (ContinueRetrievePropertiesEx and
// CancelRetrievePropertiesEx) to the library's PropertyCollector, which returns everything at once.
// The simulator makes one per session from this type (zero value), so the fields start empty.
type pagingCollector struct {
	simulator.PropertyCollector
	mu    sync.Mutex
	pages map[string]*page
	next  int
}

type page struct {
	rest []types.ObjectContent
	max  int
}

func (pc *pagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	body := pc.PropertyCollector.RetrievePropertiesEx(ctx, r)
	res, ok := body.(*methods.RetrievePropertiesExBody)
	if !ok || res.Res == nil || res.Res.Returnval == nil {
		return body
	}
	if len(res.Res.Returnval.Objects) == 0 {
		res.Res.Returnval = nil // vCenter answers an empty result with no returnval
		return body
	}
	max := int(r.Options.MaxObjects)
	if max <= 0 {
		max = 100000
	}
	first := pc.cut(&page{rest: res.Res.Returnval.Objects, max: max})
	res.Res.Returnval = &first
	return body
}

// cut returns the next page of p, registering p under a fresh token when objects remain.
func (pc *pagingCollector) cut(p *page) types.RetrieveResult {
	n := p.max
	if n > len(p.rest) {
		n = len(p.rest)
	}
	out := types.RetrieveResult{Objects: p.rest[:n]}
	p.rest = p.rest[n:]
	if len(p.rest) == 0 {
		return out
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.pages == nil {
		pc.pages = map[string]*page{}
	}
	pc.next++
	out.Token = "page-" + strconv.Itoa(pc.next)
	pc.pages[out.Token] = p
	return out
}

func (pc *pagingCollector) take(token string) *page {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	p := pc.pages[token]
	delete(pc.pages, token)
	return p
}

func (pc *pagingCollector) ContinueRetrievePropertiesEx(
	ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx,
) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	p := pc.take(r.Token)
	if p == nil {
		body.Fault_ = invalidArgument("unknown or finished token "+r.Token, "token")
		return body
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: pc.cut(p)}
	return body
}

func (pc *pagingCollector) CancelRetrievePropertiesEx(
	ctx *simulator.Context, r *types.CancelRetrievePropertiesEx,
) soap.HasFault {
	body := &methods.CancelRetrievePropertiesExBody{}
	if pc.take(r.Token) == nil {
		body.Fault_ = invalidArgument("unknown or finished token "+r.Token, "token")
		return body
	}
	body.Res = &types.CancelRetrievePropertiesExResponse{}
	return body
}

// installPagingCollector replaces the root PropertyCollector with the paging one.
func installPagingCollector(ref types.ManagedObjectReference) {
	pc := &pagingCollector{}
	pc.Self = ref
	simulator.Map.Put(pc)
}
