package main

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// netSystem is HostNetworkSystem with the vmk, netstack and port group calls the library lacks;
// networkInfo is the same value as the host's config.network.
type netSystem struct {
	simulator.HostNetworkSystem
	st  *hostState
	inv *inventory
}

func (s *netSystem) AddVirtualNic(ctx *simulator.Context, req *types.AddVirtualNic) soap.HasFault {
	body := &methods.AddVirtualNicBody{}
	withHost(ctx, s.st, func() {
		device, fault := s.addVnic(req.Portgroup, req.Nic)
		body.Fault_ = fault
		if fault == nil {
			s.st.render()
			body.Res = &types.AddVirtualNicResponse{Returnval: device}
		}
	})
	return body
}

func (s *netSystem) addVnic(portgroup string, nic types.HostVirtualNicSpec) (string, *soap.Fault) {
	if nic.DistributedVirtualPort != nil || nic.OpaqueNetwork != nil {
		return "", simulator.Fault("only standard port groups are simulated", &types.NotSupported{})
	}
	if !s.st.hasPortgroup(portgroup) {
		return "", notFound("port group " + portgroup + " not found")
	}
	if nic.Ip == nil {
		return "", invalidArgument("nic.ip is required", "nic.ip")
	}
	if nic.NetStackInstanceKey == "" {
		nic.NetStackInstanceKey = "defaultTcpipStack"
	}
	if s.st.stack(nic.NetStackInstanceKey) == nil {
		if _, system := stackService[nic.NetStackInstanceKey]; !system {
			return "", notFound("netstack " + nic.NetStackInstanceKey + " not found")
		}
		s.st.net().NetStackInstance = append(s.st.net().NetStackInstance, newStack(nic.NetStackInstanceKey))
	}
	device := s.st.nextDevice()
	nic.Portgroup = portgroup
	nic.Mac = s.st.mac(device)
	if nic.Mtu == 0 {
		nic.Mtu = 1500
	}
	if nic.TsoEnabled == nil {
		nic.TsoEnabled = types.NewBool(true)
	}
	s.st.net().Vnic = append(s.st.net().Vnic, types.HostVirtualNic{
		Device: device, Key: vnicKey(device), Portgroup: portgroup, Spec: nic,
	})
	s.st.enabled[device] = true
	return device, nil
}

func (s *netSystem) UpdateVirtualNic(ctx *simulator.Context, req *types.UpdateVirtualNic) soap.HasFault {
	body := &methods.UpdateVirtualNicBody{}
	withHost(ctx, s.st, func() {
		if body.Fault_ = s.updateVnic(req.Device, req.Nic); body.Fault_ == nil {
			s.st.render()
			body.Res = &types.UpdateVirtualNicResponse{}
		}
	})
	return body
}

// updateVnic applies the fields set in nic; unset fields keep their value.
func (s *netSystem) updateVnic(device string, nic types.HostVirtualNicSpec) *soap.Fault {
	v := s.st.vnic(device)
	if v == nil {
		return notFound("virtual NIC " + device + " not found")
	}
	if nic.NetStackInstanceKey != "" && nic.NetStackInstanceKey != v.Spec.NetStackInstanceKey {
		return invalidArgument("the netstack of a virtual NIC cannot change", "nic.netStackInstanceKey")
	}
	if nic.Portgroup != "" && !s.st.hasPortgroup(nic.Portgroup) {
		return notFound("port group " + nic.Portgroup + " not found")
	}
	if nic.Ip != nil {
		ip := *nic.Ip
		old := v.Spec.Ip
		if ip.IpAddress == "" && !ip.Dhcp && old != nil {
			ip.IpAddress, ip.SubnetMask = old.IpAddress, old.SubnetMask
		}
		if ip.IpV6Config == nil && old != nil {
			ip.IpV6Config = old.IpV6Config
		}
		v.Spec.Ip = &ip
	}
	if nic.Mtu != 0 {
		v.Spec.Mtu = nic.Mtu
	}
	if nic.Portgroup != "" {
		v.Spec.Portgroup, v.Portgroup = nic.Portgroup, nic.Portgroup
	}
	if nic.TsoEnabled != nil {
		v.Spec.TsoEnabled = nic.TsoEnabled
	}
	if nic.IpRouteSpec != nil {
		v.Spec.IpRouteSpec = nic.IpRouteSpec
		if r := nic.IpRouteSpec.IpRouteConfig; r == nil || r.GetHostIpRouteConfig().DefaultGateway == "" {
			v.Spec.IpRouteSpec = nil
		}
	}
	return nil
}

func (s *netSystem) RemoveVirtualNic(ctx *simulator.Context, req *types.RemoveVirtualNic) soap.HasFault {
	body := &methods.RemoveVirtualNicBody{}
	withHost(ctx, s.st, func() {
		if body.Fault_ = s.removeVnic(req.Device); body.Fault_ == nil {
			s.st.render()
			body.Res = &types.RemoveVirtualNicResponse{}
		}
	})
	return body
}

func (s *netSystem) removeVnic(device string) *soap.Fault {
	if s.st.vnic(device) == nil {
		return notFound("virtual NIC " + device + " not found")
	}
	kept := s.st.net().Vnic[:0]
	for _, v := range s.st.net().Vnic {
		if v.Device != device {
			kept = append(kept, v)
		}
	}
	s.st.net().Vnic = kept
	for _, nicType := range nicTypes {
		s.st.deselectVnic(nicType, device)
	}
	delete(s.st.enabled, device)
	return nil
}

// UpdateIpRouteConfig sets the default TCP/IP stack's gateways.
func (s *netSystem) UpdateIpRouteConfig(ctx *simulator.Context, req *types.UpdateIpRouteConfig) soap.HasFault {
	withHost(ctx, s.st, func() {
		s.setGateways("defaultTcpipStack", req.Config)
		s.st.render()
	})
	return &methods.UpdateIpRouteConfigBody{Res: &types.UpdateIpRouteConfigResponse{}}
}

func (s *netSystem) setGateways(stack string, cfg types.BaseHostIpRouteConfig) {
	if cfg == nil {
		return
	}
	in := cfg.GetHostIpRouteConfig()
	route := s.st.stack(stack).IpRouteConfig.(*types.HostIpRouteConfig)
	route.DefaultGateway, route.IpV6DefaultGateway = in.DefaultGateway, in.IpV6DefaultGateway
}

// UpdateNetworkConfig applies netStackSpec, vnic, portgroup and ipRouteConfig changes;
// anything else is refused rather than ignored.
func (s *netSystem) UpdateNetworkConfig(ctx *simulator.Context, req *types.UpdateNetworkConfig) soap.HasFault {
	body := &methods.UpdateNetworkConfigBody{}
	c := req.Config
	if len(c.Vswitch)+len(c.ProxySwitch)+len(c.Pnic)+len(c.ConsoleVnic)+len(c.Dhcp)+len(c.Nat) > 0 ||
		c.DnsConfig != nil || c.ConsoleIpRouteConfig != nil || c.RouteTableConfig != nil {
		body.Fault_ = simulator.Fault("only netStackSpec, vnic, portgroup and ipRouteConfig are simulated",
			&types.NotSupported{})
		return body
	}
	withHost(ctx, s.st, func() {
		result, fault := s.applyNetworkConfig(&c)
		s.st.render()
		body.Fault_ = fault
		if fault == nil {
			body.Res = &types.UpdateNetworkConfigResponse{Returnval: result}
		}
	})
	return body
}

func (s *netSystem) applyNetworkConfig(c *types.HostNetworkConfig) (types.HostNetworkConfigResult, *soap.Fault) {
	var result types.HostNetworkConfigResult
	for _, spec := range c.NetStackSpec {
		if fault := s.applyNetStack(spec); fault != nil {
			return result, fault
		}
	}
	if c.IpRouteConfig != nil {
		s.setGateways("defaultTcpipStack", c.IpRouteConfig)
	}
	for _, pg := range c.Portgroup {
		if fault := s.applyPortgroup(pg); fault != nil {
			return result, fault
		}
	}
	for _, vc := range c.Vnic {
		if fault := s.applyVnic(vc, &result); fault != nil {
			return result, fault
		}
	}
	return result, nil
}

func (s *netSystem) applyVnic(vc types.HostVirtualNicConfig, result *types.HostNetworkConfigResult) *soap.Fault {
	if vc.ChangeOperation == "remove" {
		return s.removeVnic(vc.Device)
	}
	if vc.Spec == nil {
		return invalidArgument("vnic.spec is required", "vnic.spec")
	}
	switch vc.ChangeOperation {
	case "add":
		device, fault := s.addVnic(vc.Portgroup, *vc.Spec)
		if fault == nil {
			result.VnicDevice = append(result.VnicDevice, device)
		}
		return fault
	case "edit", "":
		return s.updateVnic(vc.Device, *vc.Spec)
	}
	return invalidArgument("unknown changeOperation "+vc.ChangeOperation, "vnic.changeOperation")
}

func (s *netSystem) applyNetStack(spec types.HostNetworkConfigNetStackSpec) *soap.Fault {
	key := spec.NetStackInstance.Key
	switch spec.Operation {
	case "add", "edit", "":
		if s.st.stack(key) == nil {
			if spec.Operation != "add" {
				return notFound("netstack " + key + " not found")
			}
			s.st.net().NetStackInstance = append(s.st.net().NetStackInstance, newStack(key))
		}
		s.setGateways(key, spec.NetStackInstance.IpRouteConfig)
	case "remove":
		if key == "defaultTcpipStack" || s.st.stack(key) == nil {
			return invalidArgument("netstack "+key+" cannot be removed", "netStackSpec")
		}
		for _, v := range s.st.net().Vnic {
			if v.Spec.NetStackInstanceKey == key {
				return simulator.Fault(fmt.Sprintf("netstack %s is used by %s", key, v.Device), &types.ResourceInUse{})
			}
		}
		kept := s.st.net().NetStackInstance[:0]
		for _, ns := range s.st.net().NetStackInstance {
			if ns.Key != key {
				kept = append(kept, ns)
			}
		}
		s.st.net().NetStackInstance = kept
	default:
		return invalidArgument("unknown operation "+spec.Operation, "netStackSpec.operation")
	}
	return nil
}

func (s *netSystem) applyPortgroup(pg types.HostPortGroupConfig) *soap.Fault {
	if pg.Spec == nil {
		return invalidArgument("portgroup.spec is required", "portgroup.spec")
	}
	switch pg.ChangeOperation {
	case "add":
		return s.addPortgroup(*pg.Spec)
	case "remove":
		return s.removePortgroup(pg.Spec.Name)
	}
	return simulator.Fault("only add and remove of port groups are simulated", &types.NotSupported{})
}

func (s *netSystem) addPortgroup(spec types.HostPortGroupSpec) *soap.Fault {
	if spec.Name == "" {
		return invalidArgument("portgroup name is required", "name")
	}
	if spec.VswitchName != "vSwitch0" {
		return notFound("virtual switch " + spec.VswitchName + " not found")
	}
	if s.st.hasPortgroup(spec.Name) {
		return simulator.Fault("", &types.AlreadyExists{Name: spec.Name})
	}
	s.st.addPortgroup(spec.Name, spec.VlanId)
	s.inv.attach(s.st.host, spec.Name)
	return nil
}

func (s *netSystem) removePortgroup(name string) *soap.Fault {
	if !s.st.hasPortgroup(name) {
		return notFound("port group " + name + " not found")
	}
	for _, v := range s.st.net().Vnic {
		if v.Portgroup == name {
			return simulator.Fault(fmt.Sprintf("port group %s is used by %s", name, v.Device), &types.ResourceInUse{})
		}
	}
	kept := s.st.net().Portgroup[:0]
	for _, pg := range s.st.net().Portgroup {
		if pg.Spec.Name != name {
			kept = append(kept, pg)
		}
	}
	s.st.net().Portgroup = kept
	s.inv.detach(s.st.host, name)
	return nil
}

func (s *netSystem) AddPortGroup(ctx *simulator.Context, req *types.AddPortGroup) soap.HasFault {
	body := &methods.AddPortGroupBody{}
	withHost(ctx, s.st, func() {
		if body.Fault_ = s.addPortgroup(req.Portgrp); body.Fault_ == nil {
			s.st.render()
			body.Res = &types.AddPortGroupResponse{}
		}
	})
	return body
}

func (s *netSystem) RemovePortGroup(ctx *simulator.Context, req *types.RemovePortGroup) soap.HasFault {
	body := &methods.RemovePortGroupBody{}
	withHost(ctx, s.st, func() {
		if body.Fault_ = s.removePortgroup(req.PgName); body.Fault_ == nil {
			s.st.render()
			body.Res = &types.RemovePortGroupResponse{}
		}
	})
	return body
}
