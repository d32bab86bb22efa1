package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// serviceSystem is HostServiceSystem: serviceInfo is the same value as the host's config.service.
type serviceSystem struct {
	mo.HostServiceSystem
	st *hostState
}

// vnicManager is HostVirtualNicManager over the host's canonical selections.
type vnicManager struct {
	mo.HostVirtualNicManager
	st *hostState
}

// accessManager is HostAccessManager (lockdown mode, also reflected in config.lockdownMode).
type accessManager struct {
	mo.HostAccessManager
	st *hostState
}

func newServiceInfo(sshRunning bool) *types.HostServiceInfo {
	policy := func(on bool) string {
		if on {
			return "on"
		}
		return "off"
	}
	base := &types.HostServiceSourcePackage{
		SourcePackageName: "esx-base",
		Description:       "This VIB contains all of the base functionality of vSphere ESXi.",
	}
	return &types.HostServiceInfo{Service: []types.HostService{
		{Key: "DCUI", Label: "Direct Console UI", Required: false, Running: true, Policy: "on", SourcePackage: base},
		{Key: "TSM", Label: "ESXi Shell", Running: false, Policy: "off", SourcePackage: base},
		{Key: "TSM-SSH", Label: "SSH", Running: sshRunning, Ruleset: []string{"sshServer"}, Policy: policy(sshRunning),
			SourcePackage: base},
		{Key: "lbtd", Label: "Load-Based Teaming Daemon", Running: true, Policy: "on", SourcePackage: base},
		{Key: "ntpd", Label: "NTP Daemon", Running: false, Ruleset: []string{"ntpClient"}, Policy: "off",
			SourcePackage: base},
		{Key: "vpxa", Label: "VMware vCenter Agent", Required: false, Running: true, Ruleset: []string{"vpxHeartbeats"},
			Policy: "on", SourcePackage: &types.HostServiceSourcePackage{SourcePackageName: "vpxa"}},
	}}
}

func (inv *inventory) addManagers(st *hostState) error {
	hs := st.host
	id := hs.Self.Value
	ss := &serviceSystem{st: st}
	ss.Self = types.ManagedObjectReference{Type: "HostServiceSystem", Value: "serviceSystem-" + id}
	ss.ServiceInfo = *st.services
	simulator.Map.Put(ss)
	hs.ConfigManager.ServiceSystem = &ss.Self

	vm := &vnicManager{st: st}
	vm.Self = types.ManagedObjectReference{Type: "HostVirtualNicManager", Value: "virtualNicManager-" + id}
	simulator.Map.Put(vm)
	hs.ConfigManager.VirtualNicManager = &vm.Self
	st.vnicMgr = vm

	am := &accessManager{st: st}
	am.Self = types.ManagedObjectReference{Type: "HostAccessManager", Value: "hostAccessManager-" + id}
	am.LockdownMode = st.cfg.LockdownMode
	simulator.Map.Put(am)
	hs.ConfigManager.HostAccessManager = &am.Self
	st.access = am

	ns := &netSystem{st: st, inv: inv}
	ns.Self = *hs.ConfigManager.NetworkSystem
	ns.Host = &hs.HostSystem
	ns.NetworkInfo = st.cfg.Network
	ns.Capabilities = &types.HostNetCapabilities{
		CanSetPhysicalNicLinkSpeed: true, SupportsNicTeaming: true, UsesServiceConsoleNic: false,
		SupportsNetworkHints: true, IpV6Supported: types.NewBool(true), MaxPortGroupsPerVswitch: 512,
		VswitchConfigSupported: true, VnicConfigSupported: true, IpRouteConfigSupported: true,
		DnsConfigSupported: true, DhcpOnVnicSupported: true, NicTeamingPolicy: []string{"loadbalance_srcid"},
	}
	simulator.Map.Put(ns)
	return nil
}

// withHost runs f under the host's lock, so a concurrent property retrieval never sees half a change.
func withHost(ctx *simulator.Context, st *hostState, f func()) {
	ctx.WithLock(st.host, f)
}

func notFound(msg string) *soap.Fault {
	return simulator.Fault(msg, &types.NotFound{})
}

func invalidArgument(msg, property string) *soap.Fault {
	return simulator.Fault(msg, &types.InvalidArgument{InvalidProperty: property})
}

// setService changes one service's running state; it is shared by Start/Stop/Restart.
func (s *serviceSystem) setService(ctx *simulator.Context, id string, running bool) *soap.Fault {
	var fault *soap.Fault
	withHost(ctx, s.st, func() {
		for i := range s.st.services.Service {
			svc := &s.st.services.Service[i]
			if svc.Key == id {
				svc.Running = running
				s.ServiceInfo = *s.st.services
				return
			}
		}
		fault = notFound("service " + id + " not found")
	})
	return fault
}

func (s *serviceSystem) StartService(ctx *simulator.Context, req *types.StartService) soap.HasFault {
	return &methods.StartServiceBody{Res: &types.StartServiceResponse{}, Fault_: s.setService(ctx, req.Id, true)}
}

func (s *serviceSystem) StopService(ctx *simulator.Context, req *types.StopService) soap.HasFault {
	return &methods.StopServiceBody{Res: &types.StopServiceResponse{}, Fault_: s.setService(ctx, req.Id, false)}
}

func (s *serviceSystem) RestartService(ctx *simulator.Context, req *types.RestartService) soap.HasFault {
	return &methods.RestartServiceBody{Res: &types.RestartServiceResponse{}, Fault_: s.setService(ctx, req.Id, true)}
}

func (s *serviceSystem) UpdateServicePolicy(ctx *simulator.Context, req *types.UpdateServicePolicy) soap.HasFault {
	var fault *soap.Fault = notFound("service " + req.Id + " not found")
	withHost(ctx, s.st, func() {
		for i := range s.st.services.Service {
			if s.st.services.Service[i].Key == req.Id {
				s.st.services.Service[i].Policy = req.Policy
				s.ServiceInfo = *s.st.services
				fault = nil
			}
		}
	})
	return &methods.UpdateServicePolicyBody{Res: &types.UpdateServicePolicyResponse{}, Fault_: fault}
}

func (s *serviceSystem) RefreshServices(ctx *simulator.Context, req *types.RefreshServices) soap.HasFault {
	withHost(ctx, s.st, func() { s.ServiceInfo = *s.st.services })
	return &methods.RefreshServicesBody{Res: &types.RefreshServicesResponse{}}
}

func knownNicType(nicType string) bool { return oneOf(nicType, nicTypes) }

func (m *vnicManager) QueryNetConfig(ctx *simulator.Context, req *types.QueryNetConfig) soap.HasFault {
	body := &methods.QueryNetConfigBody{}
	if !knownNicType(req.NicType) {
		body.Fault_ = invalidArgument("unknown nicType "+req.NicType, "nicType")
		return body
	}
	withHost(ctx, m.st, func() {
		for _, nc := range m.st.cfg.VirtualNicManagerInfo.NetConfig {
			if nc.NicType == req.NicType {
				c := nc
				body.Res = &types.QueryNetConfigResponse{Returnval: &c}
			}
		}
	})
	return body
}

// selection validates a (nicType, device) pair for Select/Deselect.
func (m *vnicManager) selection(nicType, device string, selecting bool) *soap.Fault {
	if !knownNicType(nicType) {
		return invalidArgument("unknown nicType "+nicType, "nicType")
	}
	v := m.st.vnic(device)
	if v == nil {
		return invalidArgument("no virtual NIC "+device, "device")
	}
	if selecting && !m.st.candidate(*v, nicType) {
		return invalidArgument(device+" on netstack "+v.Spec.NetStackInstanceKey+" cannot carry "+nicType, "device")
	}
	return nil
}

func (m *vnicManager) SelectVnicForNicType(ctx *simulator.Context, req *types.SelectVnicForNicType) soap.HasFault {
	body := &methods.SelectVnicForNicTypeBody{}
	withHost(ctx, m.st, func() {
		if body.Fault_ = m.selection(req.NicType, req.Device, true); body.Fault_ == nil {
			m.st.selectVnic(req.NicType, req.Device)
			m.st.render()
			body.Res = &types.SelectVnicForNicTypeResponse{}
		}
	})
	return body
}

func (m *vnicManager) DeselectVnicForNicType(ctx *simulator.Context, req *types.DeselectVnicForNicType) soap.HasFault {
	body := &methods.DeselectVnicForNicTypeBody{}
	withHost(ctx, m.st, func() {
		if body.Fault_ = m.selection(req.NicType, req.Device, false); body.Fault_ == nil {
			m.st.deselectVnic(req.NicType, req.Device)
			m.st.render()
			body.Res = &types.DeselectVnicForNicTypeResponse{}
		}
	})
	return body
}

func (a *accessManager) ChangeLockdownMode(ctx *simulator.Context, req *types.ChangeLockdownMode) soap.HasFault {
	body := &methods.ChangeLockdownModeBody{}
	if !oneOf(string(req.Mode), lockdownModes) {
		body.Fault_ = invalidArgument("unknown lockdown mode "+string(req.Mode), "mode")
		return body
	}
	withHost(ctx, a.st, func() {
		a.LockdownMode = req.Mode
		a.st.cfg.LockdownMode = req.Mode
		a.st.cfg.AdminDisabled = types.NewBool(req.Mode != types.HostLockdownModeLockdownDisabled)
	})
	body.Res = &types.ChangeLockdownModeResponse{}
	return body
}
