package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// inventory builds the datacenter, clusters, hosts, networks and VMs of a Model.
type inventory struct {
	mu        sync.Mutex // guards networks and the refs between hosts, networks and clusters
	ctx       context.Context
	client    *vim25.Client
	dc        *simulator.Datacenter
	netFolder *simulator.Folder
	vmFolder  *simulator.Folder
	clusters  map[string]*simulator.ClusterComputeResource
	networks  map[string]*mo.Network
	hosts     map[string]*hostState
	vmNames   map[string]bool
}

func buildInventory(ctx context.Context, client *vim25.Client, m *Model) (*inventory, error) {
	dc, err := object.NewRootFolder(client).CreateDatacenter(ctx, m.Datacenter)
	if err != nil {
		return nil, err
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return nil, err
	}
	inv := &inventory{
		ctx:       ctx,
		client:    client,
		dc:        simulator.Map.Get(dc.Reference()).(*simulator.Datacenter),
		netFolder: simulator.Map.Get(folders.NetworkFolder.Reference()).(*simulator.Folder),
		vmFolder:  simulator.Map.Get(folders.VmFolder.Reference()).(*simulator.Folder),
		clusters:  map[string]*simulator.ClusterComputeResource{},
		networks:  map[string]*mo.Network{},
		hosts:     map[string]*hostState{},
		vmNames:   map[string]bool{},
	}
	objects := map[string]*object.ClusterComputeResource{}
	for _, name := range m.Clusters {
		c, err := folders.HostFolder.CreateCluster(ctx, name, types.ClusterConfigSpecEx{})
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", name, err)
		}
		objects[name] = c
		inv.clusters[name] = simulator.Map.Get(c.Reference()).(*simulator.ClusterComputeResource)
	}
	for i := range m.Hosts {
		h := &m.Hosts[i]
		task, err := objects[h.Cluster].AddHost(ctx, types.HostConnectSpec{HostName: h.Name}, true, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", h.Name, err)
		}
		info, err := task.WaitForResult(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", h.Name, err)
		}
		hs := simulator.Map.Get(info.Result.(types.ManagedObjectReference)).(*simulator.HostSystem)
		if err := inv.configureHost(hs, h, i+1); err != nil {
			return nil, fmt.Errorf("host %s: %w", h.Name, err)
		}
	}
	for _, cluster := range inv.clusters {
		cluster.Network = nil
		for _, ref := range cluster.Host {
			for _, n := range simulator.Map.Get(ref).(*simulator.HostSystem).Network {
				addRef(&cluster.Network, n)
			}
		}
	}
	return inv, nil
}

// network returns the datacenter's standard Network of that name, creating it when missing.
func (inv *inventory) network(name string) *mo.Network {
	if n, ok := inv.networks[name]; ok {
		return n
	}
	if e, ok := simulator.Map.FindByName(name, inv.netFolder.ChildEntity).(*mo.Network); ok {
		inv.networks[name] = e
		return e
	}
	n := &mo.Network{}
	n.Name = name
	simulator.Map.NewEntity(n)
	inv.netFolder.ChildEntity = append(inv.netFolder.ChildEntity, n.Self)
	simulator.Map.PutEntity(inv.netFolder, n)
	inv.dc.Network = append(inv.dc.Network, n.Self)
	n.Summary = &types.NetworkSummary{Network: &n.Self, Name: name, Accessible: true}
	inv.networks[name] = n
	return n
}

func addRef(list *[]types.ManagedObjectReference, ref types.ManagedObjectReference) {
	for _, r := range *list {
		if r == ref {
			return
		}
	}
	*list = append(*list, ref)
}

func removeRef(list *[]types.ManagedObjectReference, ref types.ManagedObjectReference) {
	kept := (*list)[:0]
	for _, r := range *list {
		if r != ref {
			kept = append(kept, r)
		}
	}
	*list = kept
}

// attach makes a port group of a host visible as host.network / network.host / cluster.network.
func (inv *inventory) attach(hs *simulator.HostSystem, name string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	n := inv.network(name)
	addRef(&hs.Network, n.Self)
	addRef(&n.Host, hs.Self)
	if cluster, ok := simulator.Map.Get(*hs.Parent).(*simulator.ClusterComputeResource); ok {
		addRef(&cluster.Network, n.Self)
	}
}

// detach removes a port group of a host from host.network / network.host / cluster.network.
func (inv *inventory) detach(hs *simulator.HostSystem, name string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	n := inv.network(name)
	removeRef(&hs.Network, n.Self)
	removeRef(&n.Host, hs.Self)
	cluster, ok := simulator.Map.Get(*hs.Parent).(*simulator.ClusterComputeResource)
	if !ok {
		return
	}
	for _, ref := range cluster.Host {
		for _, other := range simulator.Map.Get(ref).(*simulator.HostSystem).Network {
			if other == n.Self {
				return
			}
		}
	}
	removeRef(&cluster.Network, n.Self)
}

func (inv *inventory) configureHost(hs *simulator.HostSystem, h *HostModel, index int) error {
	hs.Runtime.ConnectionState = types.HostSystemConnectionState(h.ConnectionState)
	hs.Runtime.InMaintenanceMode = h.Maintenance
	hs.Summary.Config.Port = 443
	hs.Network = nil
	cfg := hs.Config
	cfg.Host = hs.Self
	cfg.LockdownMode = types.HostLockdownMode(h.Lockdown)
	cfg.AdminDisabled = types.NewBool(h.Lockdown != "lockdownDisabled")
	nw := cfg.Network
	nw.Vnic, nw.ConsoleVnic, nw.Portgroup, nw.NetStackInstance = nil, nil, nil, nil
	nw.DnsConfig = &types.HostDnsConfig{Dhcp: false, HostName: h.Name}
	if len(nw.Vswitch) > 0 {
		nw.Vswitch[0].Mtu = 1500
	}
	st := &hostState{
		host: hs, index: index, cfg: cfg,
		selected: map[string][]string{}, enabled: map[string]bool{},
		api: h.API, lab: h.Lab,
	}
	st.net().NetStackInstance = append(st.net().NetStackInstance, newStack("defaultTcpipStack"))
	for _, ns := range h.Netstacks {
		if st.stack(ns.Key) == nil {
			st.net().NetStackInstance = append(st.net().NetStackInstance, newStack(ns.Key))
		}
		route := st.stack(ns.Key).IpRouteConfig.(*types.HostIpRouteConfig)
		route.DefaultGateway, route.IpV6DefaultGateway = ns.Gateway, ns.Gateway6
	}
	for _, v := range h.Vmks {
		st.addPortgroup(v.Portgroup, 0)
	}
	for _, pg := range h.Portgroups {
		st.addPortgroup(pg, 0)
	}
	for _, v := range h.Vmks {
		if st.stack(v.Netstack) == nil {
			st.net().NetStackInstance = append(st.net().NetStackInstance, newStack(v.Netstack))
		}
		st.net().Vnic = append(st.net().Vnic, st.newVnic(v))
		st.enabled[v.Device] = v.Enabled == nil || *v.Enabled
		for _, s := range v.Services {
			st.selectVnic(s, v.Device)
		}
		if v.MTU > nw.Vswitch[0].Mtu {
			nw.Vswitch[0].Mtu = v.MTU
		}
	}
	for _, pg := range st.net().Portgroup {
		inv.attach(hs, pg.Spec.Name)
	}
	st.services = newServiceInfo(h.TsmSSH)
	cfg.Service = st.services
	if err := inv.addManagers(st); err != nil {
		return err
	}
	st.render()
	for _, vm := range h.Vms {
		if err := inv.addVM(hs, vm); err != nil {
			return err
		}
	}
	inv.hosts[h.Name] = st
	if h.ConnectionState == "disconnected" {
		hs.Config = nil // vCenter holds no configuration for a disconnected host
	}
	return nil
}

func (st *hostState) newVnic(v VmkModel) types.HostVirtualNic {
	spec := types.HostVirtualNicSpec{
		Ip:                  ipConfig(v.IP, v.IP6),
		Mac:                 st.mac(v.Device),
		Portgroup:           v.Portgroup,
		Mtu:                 v.MTU,
		TsoEnabled:          types.NewBool(true),
		NetStackInstanceKey: v.Netstack,
	}
	if v.Gateway != "" {
		spec.IpRouteSpec = &types.HostVirtualNicIpRouteSpec{
			IpRouteConfig: &types.HostIpRouteConfig{DefaultGateway: v.Gateway},
		}
	}
	return types.HostVirtualNic{Device: v.Device, Key: vnicKey(v.Device), Portgroup: v.Portgroup, Spec: spec}
}

func (inv *inventory) addVM(hs *simulator.HostSystem, m VMModel) error {
	if inv.vmNames[m.Name] || m.Name == "" {
		return fmt.Errorf("vm %q: empty or duplicate name", m.Name)
	}
	inv.vmNames[m.Name] = true
	cluster := simulator.Map.Get(*hs.Parent).(*simulator.ClusterComputeResource)
	pool := simulator.Map.Get(*cluster.ResourcePool).(*simulator.ResourcePool)
	vm := &simulator.VirtualMachine{}
	vm.Name = m.Name
	id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(m.Name)).String()
	vm.Config = &types.VirtualMachineConfigInfo{
		Name: m.Name, GuestId: "otherGuest64", GuestFullName: "Other (64-bit)", Uuid: id, InstanceUuid: id,
		Version: "vmx-13", Hardware: types.VirtualHardware{NumCPU: 1, MemoryMB: 1024},
	}
	host := hs.Self
	vm.Runtime = types.VirtualMachineRuntimeInfo{
		Host:            &host,
		ConnectionState: types.VirtualMachineConnectionStateConnected,
		PowerState:      types.VirtualMachinePowerStatePoweredOn,
	}
	vm.Summary.Runtime = vm.Runtime
	vm.Summary.Config = types.VirtualMachineConfigSummary{Name: m.Name, GuestId: "otherGuest64", Uuid: id}
	vm.ResourcePool = &pool.Self
	simulator.Map.NewEntity(vm)
	inv.vmFolder.ChildEntity = append(inv.vmFolder.ChildEntity, vm.Self)
	simulator.Map.PutEntity(inv.vmFolder, vm)
	vm.Summary.Vm = &vm.Self
	for _, name := range m.Networks {
		n := inv.network(name)
		addRef(&vm.Network, n.Self)
		addRef(&n.Vm, vm.Self)
	}
	addRef(&hs.Vm, vm.Self)
	addRef(&pool.Vm, vm.Self)
	return nil
}
