# esxcli.awk: the esxcli commands of the vmotion-validator lab, printed in ESXi's formats
# (/tmp/spec/esxi-formats.md). Needs vmvlib.awk. Arguments: ARGV[1..] (after `--`), host data from
# $VMV_HOSTDIR/{vmks.tsv,netstacks.tsv,variant}. Everything happens in BEGIN; nothing is read as input.
#
# Supported:  esxcli [--formatter=csv|xml] network ip netstack list
#             ... network ip interface list [-N|--netstack STACK]
#             ... network ip interface ipv4 get [-N STACK] [-i|--interface-name vmkN]
#             ... network ip interface ipv6 address list [-N STACK] [-i vmkN]
#             ... network ip route ipv4 list [-N STACK]     (default: defaultTcpipStack)
#             ... network ip route ipv6 list [-N STACK]
#             ... network ip interface tag get -i vmkN
#             ... network ip interface tag add|remove -i vmkN -t TAG        (rewrites vmks.tsv)
#             ... network ip route ipv4|ipv6 add|remove -N STACK -n default|::/0 -g GW
#                 (sets the stack's kernel default routes in its namespace, rewrites netstacks.tsv)

BEGIN {
    split("network ip netstack list|network ip interface list|network ip interface ipv4 get|" \
          "network ip interface ipv6 address list|network ip route ipv4 list|network ip route ipv6 list|" \
          "network ip interface tag get|network ip interface tag add|network ip interface tag remove|" \
          "network ip route ipv4 add|network ip route ipv4 remove|network ip route ipv6 add|" \
          "network ip route ipv6 remove", cl, "|")
    for (i in cl) {
        CMD[cl[i]] = 1
        n = split(cl[i], w, " ")
        p = ""
        for (j = 1; j < n; j++) { p = (p == "" ? "" : p " ") w[j]; NSP[p] = 1 }
    }
    OPTS["network ip interface list"] = " netstack "
    OPTS["network ip interface ipv4 get"] = " netstack interface-name "
    OPTS["network ip interface ipv6 address list"] = " netstack interface-name "
    OPTS["network ip route ipv4 list"] = " netstack "
    OPTS["network ip route ipv6 list"] = " netstack "
    OPTS["network ip interface tag get"] = " interface-name "
    OPTS["network ip interface tag add"] = " interface-name tagname "
    OPTS["network ip interface tag remove"] = " interface-name tagname "
    OPTS["network ip route ipv4 add"] = OPTS["network ip route ipv4 remove"] = " netstack network gateway "
    OPTS["network ip route ipv6 add"] = OPTS["network ip route ipv6 remove"] = " netstack network gateway "

    fmt = "text"
    a = 1
    # global options come before the namespace path, as with the real esxcli
    for (; a < ARGC && ARGV[a] ~ /^-/; a++) {
        if (ARGV[a] ~ /^--formatter=/) fmt = substr(ARGV[a], 13)
        else if (ARGV[a] == "--formatter" && a + 1 < ARGC) fmt = ARGV[++a]
        else fail("Invalid option " ARGV[a])
    }
    if (fmt != "text" && fmt != "csv" && fmt != "xml" && fmt != "table" && fmt != "keyvalue")
        fail("Invalid formatter: " fmt)
    if (fmt == "table" || fmt == "keyvalue") fmt = "text"

    path = ""; cmd = ""
    for (; a < ARGC && ARGV[a] !~ /^-/; a++) {
        cand = (path == "") ? ARGV[a] : path " " ARGV[a]
        if (cand in CMD) { cmd = cand; a++; break }
        if (!(cand in NSP)) fail("Unknown command or namespace " cand)
        path = cand
    }
    if (cmd == "") usage(path)

    # command options
    for (; a < ARGC; a++) {
        o = ARGV[a]; v = ""; hasv = 0
        if (o ~ /^--[A-Za-z-]+=/) {
            v = substr(o, index(o, "=") + 1); o = substr(o, 1, index(o, "=") - 1); hasv = 1
        }
        else if (o ~ /^-[A-Za-z]./) { v = substr(o, 3); sub(/^=/, "", v); o = substr(o, 1, 2); hasv = 1 }
        if (o == "-N" || o == "--netstack") name = "netstack"
        else if (o == "-i" || o == "--interface-name") name = "interface-name"
        else if (o == "-t" || o == "--tagname") name = "tagname"
        else if (o == "-n" || o == "--network") name = "network"
        else if (o == "-g" || o == "--gateway") name = "gateway"
        else fail("Invalid option " o)
        if (index(OPTS[cmd], " " name " ") == 0) fail("Invalid option " o)
        if (!hasv) {
            if (a + 1 >= ARGC) fail("Missing argument for option " o)
            v = ARGV[++a]
        }
        OPT[name] = v
    }

    hostdir = ENVIRON["VMV_HOSTDIR"]
    if (hostdir == "") fail("VMV_HOSTDIR is not set: not a lab host session")
    vl_load(hostdir)
    variant = "gateway"
    vf = hostdir "/variant"
    if ((getline line < vf) > 0) { sub(/[ \t\r]+$/, "", line); if (line != "") variant = line }
    close(vf)

    stack = OPT["netstack"]
    if (stack != "" && !(stack in VL_SI)) fail("Netstack instance '" stack "' not found")
    ifc = OPT["interface-name"]
    if (ifc != "" && !(ifc in VL_VI)) fail("Interface '" ifc "' not found")

    if (cmd == "network ip netstack list") netstack_list()
    else if (cmd == "network ip interface list") interface_list()
    else if (cmd == "network ip interface ipv4 get") ipv4_get()
    else if (cmd == "network ip interface ipv6 address list") ipv6_list()
    else if (cmd == "network ip route ipv4 list") route_list(4)
    else if (cmd == "network ip route ipv6 list") route_list(6)
    else if (cmd == "network ip interface tag get") { tag_get(); exit 0 }
    else if (cmd ~ /^network ip interface tag (add|remove)$/) { tag_change(lastword(cmd)); exit 0 }
    else if (cmd ~ /^network ip route ipv[46] (add|remove)$/) {
        route_change(substr(cmd, 21, 1), lastword(cmd)); exit 0
    }
    output()
    exit 0
}

function fail(msg) {
    print "Error: " msg
    exit 1
}

function parent(k) {
    return (k ~ / /) ? substr(k, 1, match(k, / [^ ]*$/) - 1) : ""
}

function lastword(k) { sub(/.* /, "", k); return k }

function usage(p,    k, s, s2) {
    print "Usage: esxcli " (p == "" ? "[options] {namespace}+ " : p " ") "{cmd} [cmd options]"
    print ""
    s = ""; s2 = ""
    for (k in NSP) if (parent(k) == p) s = s "  " lastword(k) "\n"
    for (k in CMD) if (parent(k) == p) s2 = s2 "  " lastword(k) "\n"
    if (s != "") printf "Available Namespaces:\n%s", s
    if (s2 != "") printf "%sAvailable Commands:\n%s", (s != "" ? "\n" : ""), s2
    exit 0
}

# ---- result model: NF_ fields (name, type, align), NR_ rows of values -------------------------

function fields(spec,    n, f, i, t) {
    # spec: "Name:s|IPv4 Address:s|DHCP DNS:b>|MTU:i" (s string, i integer, b boolean; > right-aligned)
    NF_ = split(spec, f, "|")
    for (i = 1; i <= NF_; i++) {
        t = substr(f[i], index(f[i], ":") + 1)
        FN[i] = substr(f[i], 1, index(f[i], ":") - 1)
        FA[i] = (t ~ />/) ? "r" : "l"
        sub(/>/, "", t)
        FT[i] = (t == "i") ? "integer" : (t == "b") ? "boolean" : "string"
    }
    NR_ = 0
}

function row(s,    n, f, i) {
    n = split(s, f, "|")
    NR_++
    for (i = 1; i <= NF_; i++) VAL[NR_, i] = (i <= n) ? f[i] : ""
}

function nsel(key) { return stack == "" || stack == key }
function isel(name) { return ifc == "" || ifc == name }

function na(v) { return (v == "-" || v == "") ? "N/A" : v }

# ---- commands ----------------------------------------------------------------------------------

function netstack_list(    i) {
    MODE = "blocks"; TYPE = "NetstackInstance"
    fields("Key:s|Name:s|State:i")
    for (i = 1; i <= VL_NS; i++) row(VL_S[i, 1] "|" VL_S[i, 1] "|4660")
}

function interface_list(    i) {
    MODE = "blocks"; TYPE = "IPInterface"
    fields("Name:s|MAC Address:s|Enabled:b|Portset:s|Portgroup:s|Netstack Instance:s|VDS Name:s|" \
           "VDS UUID:s|VDS Port:s|VDS Connection:i|Opaque Network ID:s|Opaque Network Type:s|" \
           "External ID:s|MTU:i|TSO MSS:i|RXDispQueue Size:i|Port ID:i")
    for (i = 1; i <= VL_NV; i++) {
        if (!nsel(VL_V[i, 2])) continue
        row(VL_V[i, 1] "|" VL_V[i, 5] "|" VL_V[i, 7] "|vSwitch0|" na(VL_V[i, 4]) "|" VL_V[i, 2] \
            "|N/A|N/A|N/A|-1|N/A|N/A|N/A|" VL_V[i, 6] "|65535|2|" VL_V[i, 13])
    }
}

function ipv4_get(    i, ip, p, gw, s) {
    MODE = "table"; TYPE = "IPv4Interface"
    if (variant == "legacy")
        fields("Name:s|IPv4 Address:s|IPv4 Netmask:s|IPv4 Broadcast:s|Address Type:s|DHCP DNS:b>")
    else
        fields("Name:s|IPv4 Address:s|IPv4 Netmask:s|IPv4 Broadcast:s|Address Type:s|Gateway:s|DHCP DNS:b>")
    for (i = 1; i <= VL_NV; i++) {
        if (!nsel(VL_V[i, 2]) || !isel(VL_V[i, 1])) continue
        ip = VL_V[i, 8]; p = VL_V[i, 9]
        gw = (VL_V[i, 10] == "-") ? "0.0.0.0" : VL_V[i, 10]
        if (ip == "-" || p == "-")
            s = VL_V[i, 1] "|0.0.0.0|0.0.0.0|0.0.0.0|NONE"
        else
            s = VL_V[i, 1] "|" ip "|" vl_mask4(p) "|" vl_net4(ip, p, "bcast") "|STATIC"
        row(s (variant == "legacy" ? "" : "|" gw) "|false")
    }
}

function ipv6_list(    i, j, n, a, ap) {
    MODE = "table"; TYPE = "IPv6Address"
    fields("Interface:s|Address:s|Netmask:i>|Type:s|Status:s")
    for (i = 1; i <= VL_NV; i++) {
        if (!nsel(VL_V[i, 2]) || !isel(VL_V[i, 1]) || VL_V[i, 11] == "-") continue
        if (VL_V[i, 5] != "-") row(VL_V[i, 1] "|" vl_ll6(VL_V[i, 5]) "|64|STATIC|PREFERRED")
        n = split(VL_V[i, 11], a, ",")
        for (j = 1; j <= n; j++) {
            split(a[j], ap, "/")
            row(VL_V[i, 1] "|" vl_canon6(ap[1]) "|" (ap[2] == "" ? 128 : ap[2]) "|STATIC|PREFERRED")
        }
    }
}

function route_list(fam,    key, s, gw, i, j, n, a, ap, net, seen) {
    MODE = "table"
    key = (stack == "") ? "defaultTcpipStack" : stack
    s = VL_SI[key]
    if (fam == 4) {
        TYPE = "IPv4Route"
        fields("Network:s|Netmask:s|Gateway:s|Interface:s|Source:s")
        gw = VL_S[s, 3]
        if (gw != "-") row("default|0.0.0.0|" gw "|" vl_gwvmk(key, 4) "|MANUAL")
        for (i = 1; i <= VL_NV; i++) {
            if (VL_V[i, 2] != key || VL_V[i, 8] == "-" || VL_V[i, 9] == "-") continue
            net = vl_net4(VL_V[i, 8], VL_V[i, 9], "net")
            if ((net "/" VL_V[i, 9]) in seen) continue
            seen[net "/" VL_V[i, 9]] = 1
            row(net "|" vl_mask4(VL_V[i, 9]) "|0.0.0.0|" VL_V[i, 1] "|MANUAL")
        }
    } else {
        TYPE = "IPv6Route"
        fields("Network:s|Netmask:i>|Gateway:s|Interface:s|Source:s")
        gw = VL_S[s, 4]
        if (gw != "-") row("default|0|" gw "|" vl_gwvmk(key, 6) "|MANUAL")
        for (i = 1; i <= VL_NV; i++) {
            if (VL_V[i, 2] != key || VL_V[i, 11] == "-") continue
            n = split(VL_V[i, 11], a, ",")
            for (j = 1; j <= n; j++) {
                split(a[j], ap, "/")
                if (ap[2] == "") ap[2] = 128
                net = vl_net6(ap[1], ap[2])
                if ((net "/" ap[2]) in seen) continue
                seen[net "/" ap[2]] = 1
                row(net "|" ap[2] "|::|" VL_V[i, 1] "|MANUAL")
            }
        }
    }
}

function tag_get(    t, n, tags, i, s) {
    if (ifc == "") fail("Missing required parameter -i|--interface-name")
    t = VL_V[VL_VI[ifc], 12]
    n = (t == "-" || t == "") ? 0 : split(t, tags, ",")
    if (fmt == "text") {
        s = ""
        for (i = 1; i <= n; i++) s = s (i > 1 ? ", " : "") tags[i]
        print "   Tags: " s
    } else if (fmt == "csv") {
        print "Tags,"
        for (i = 1; i <= n; i++) print csvq(tags[i]) ","
    } else {
        xml_head()
        print "   <list type=\"string\">"
        for (i = 1; i <= n; i++) print "      <string>" xmlq(tags[i]) "</string>"
        print "   </list>"
        xml_tail()
    }
}

# ---- changes (the commands a fix script runs) ---------------------------------------------------

function shq(v) { gsub(/'/, "'\\''", v); return "'" v "'" }

# Replace `file` by what `text` holds (written next to it, then renamed over it).
function rewrite(file, text,    tmp) {
    tmp = file ".new"
    printf "%s", text > tmp
    close(tmp)
    if (system("mv -f " shq(tmp) " " shq(file)) != 0) fail("cannot update " file)
}

function vmks_text(    i, j, s, line) {
    s = ""
    for (i = 1; i <= VL_NV; i++) {
        line = VL_V[i, 1]
        for (j = 2; j <= 13; j++) line = line "\t" VL_V[i, j]
        s = s line "\n"
    }
    return s
}

function stacks_text(    i, j, s, line) {
    s = ""
    for (i = 1; i <= VL_NS; i++) {
        line = VL_S[i, 1]
        for (j = 2; j <= 5; j++) line = line "\t" VL_S[i, j]
        s = s line "\n"
    }
    return s
}

function tag_change(op,    tag, v, n, tags, i, out, seen) {
    if (ifc == "") fail("Missing required parameter -i|--interface-name")
    tag = OPT["tagname"]
    if (tag == "") fail("Missing required parameter -t|--tagname")
    if (tag !~ /^[A-Za-z][A-Za-z0-9_]*$/) fail("Invalid tag name: " tag)
    v = VL_VI[ifc]
    n = (VL_V[v, 12] == "-") ? 0 : split(VL_V[v, 12], tags, ",")
    out = ""; seen = 0
    for (i = 1; i <= n; i++) {
        if (tolower(tags[i]) == tolower(tag)) { seen = 1; if (op == "remove") continue }
        out = out (out == "" ? "" : ",") tags[i]
    }
    if (op == "add" && !seen) out = out (out == "" ? "" : ",") tag
    VL_V[v, 12] = (out == "") ? "-" : out
    rewrite(hostdir "/vmks.tsv", vmks_text())
}

# The stack's default route through every enabled vmk that has the gateway on-link and no override
# of its own, in the main table (metric = vmk number) and the vmk's source table (100 + number),
# as the lab builds them.
function route_change(fam, op,    key, s, gw, net, f, i, num, lines, verb, dflt, ok, file, h, o, lock) {
    key = (stack == "") ? "defaultTcpipStack" : stack
    s = VL_SI[key]
    gw = OPT["gateway"]; net = OPT["network"]
    if (gw == "") fail("Missing required parameter -g|--gateway")
    if (net == "") fail("Missing required parameter -n|--network")
    if (fam == 4 && !vl_ip4(gw, o)) fail("Invalid IPv4 address: " gw)
    if (fam == 6 && !vl_ip6(gw, h)) fail("Invalid IPv6 address: " gw)
    if (fam == 4 && net != "default" && net != "0.0.0.0/0") fail("Only the default route is emulated: " net)
    if (fam == 6 && net != "default" && net != "::/0") fail("Only the default route is emulated: " net)
    f = (fam == 4) ? 3 : 4
    if (op == "add" && VL_S[s, f] != "-") fail("Unable to add route: a default route already exists")
    if (op == "remove" && VL_S[s, f] != gw) fail("Unable to remove route: no default route via " gw)
    dflt = (fam == 4) ? "default" : "::/0"
    verb = (op == "add") ? "replace" : "del"
    lines = ""; ok = 0
    for (i = 1; i <= VL_NV; i++) {
        if (VL_V[i, 2] != key || VL_V[i, 7] != "true" || (fam == 4 && VL_V[i, 10] != "-")) continue
        if (fam == 4 && (VL_V[i, 8] == "-" || !vl_in4(gw, VL_V[i, 8], VL_V[i, 9]))) continue
        if (fam == 6 && vl_onlink(key, gw, 6) != VL_V[i, 1]) continue
        num = substr(VL_V[i, 1], 4) + 0
        lock = (fam == 4 && op == "add") ? " mtu lock " VL_V[i, 6] : ""
        lines = lines "route " verb " " dflt " via " gw " dev " VL_V[i, 1] " metric " num lock "\n"
        lines = lines "route " verb " " dflt " via " gw " dev " VL_V[i, 1] " table " (100 + num) lock "\n"
        ok = 1
    }
    if (!ok) fail("Unable to " op " route: gateway " gw " is not on the subnet of an enabled vmk of " key)
    file = hostdir "/routes.batch"
    printf "%s", lines > file
    close(file)
    if (system("nsenter --net=" shq("/run/netns/" VL_S[s, 2]) " ip -" fam " -batch " shq(file)) != 0)
        fail("Unable to " op " route via " gw)
    VL_S[s, f] = (op == "add") ? gw : "-"
    rewrite(hostdir "/netstacks.tsv", stacks_text())
}

# ---- formatters --------------------------------------------------------------------------------

function output() {
    if (fmt == "csv") out_csv()
    else if (fmt == "xml") out_xml()
    else if (MODE == "blocks") out_blocks()
    else out_table()
}

function pad(s, w, align) {
    while (length(s) < w) s = (align == "r") ? " " s : s " "
    return s
}

function out_table(    i, r, w, line, dash) {
    for (i = 1; i <= NF_; i++) {
        w[i] = length(FN[i])
        for (r = 1; r <= NR_; r++) if (length(VAL[r, i]) > w[i]) w[i] = length(VAL[r, i])
    }
    print tline(0, w)
    line = ""
    for (i = 1; i <= NF_; i++) {
        dash = ""
        while (length(dash) < w[i]) dash = dash "-"
        line = line (i > 1 ? "  " : "") dash
    }
    print line
    for (r = 1; r <= NR_; r++) print tline(r, w)
}

# One table line: row r (0 = the header), columns padded to w[], no trailing spaces.
function tline(r, w,    i, s, c) {
    s = ""
    for (i = 1; i <= NF_; i++) {
        c = (r == 0) ? FN[i] : VAL[r, i]
        s = s (i > 1 ? "  " : "") pad(c, w[i], (r == 0) ? "l" : FA[i])
    }
    sub(/ +$/, "", s)
    return s
}

function out_blocks(    r, i) {
    for (r = 1; r <= NR_; r++) {
        if (r > 1) print ""
        print VAL[r, 1]
        for (i = 1; i <= NF_; i++) print "   " FN[i] ": " VAL[r, i]
    }
}

function cname(s) { gsub(/ /, "", s); return s }

function csvq(s) {
    if (s ~ /[",\r\n]/) { gsub(/"/, "\"\"", s); s = "\"" s "\"" }
    return s
}

function out_csv(    i, r, s) {
    s = ""
    for (i = 1; i <= NF_; i++) s = s cname(FN[i]) ","
    print s
    for (r = 1; r <= NR_; r++) {
        s = ""
        for (i = 1; i <= NF_; i++) s = s csvq(VAL[r, i]) ","
        print s
    }
}

function xmlq(s) {
    gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); gsub(/"/, "\\&quot;", s)
    return s
}

function xml_head() {
    print "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    print "<output xmlns=\"http://www.vmware.com/Products/ESX/5.0/esxcli\">"
    print "<root>"
}

function xml_tail() {
    print "</root>"
    print "</output>"
}

function out_xml(    r, i) {
    xml_head()
    print "   <list type=\"structure\">"
    for (r = 1; r <= NR_; r++) {
        print "      <structure typeName=\"" TYPE "\">"
        for (i = 1; i <= NF_; i++)
            print "         <field name=\"" cname(FN[i]) "\"><" FT[i] ">" xmlq(VAL[r, i]) \
                  "</" FT[i] "></field>"
        print "      </structure>"
    }
    print "   </list>"
    xml_tail()
}
