# vmkping.awk: translate iputils ping output (stdout+stderr) into ESXi's FreeBSD-style vmkping output.
# Needs vmvlib.awk. Variables (-v): host, count, size, fam (4|6), vmk ("" = no -I), srcip (the vmk's
# address of that family, or ""), stack, ns (namespace name), hostdir, forced ("down": ping did not
# run, the source vmk is disabled), shown (how many of the first lines of this output vmkping has
# already printed itself: the header and replies of a run that began in its usual shape; not again).
#
# ESXi semantics emulated here:
#   - replies: icmp_seq from 0, 3-decimal times, "N bytes from IP: icmp_seq=S ttl=T time=X ms"; IPv6
#     replies carry no hop limit on ESXi: "N bytes from IP: icmp_seq=S time=X ms";
#   - local failures, one line per packet: Message too long (packet above the *vmk* MTU with DF; a
#     cached path MTU below the vmk MTU is NOT a local error on ESXi, only loss), Network is
#     unreachable (no route), Host is down (ARP/ND of the next hop fails), Network is down (vmk down);
#   - ICMP errors from routers (Frag needed, Packet too big, remote unreachable, TTL exceeded): loss;
#   - transmitted = requested count; exit 0 iff a reply came back.

BEGIN {
    count += 0; size += 0
    hdrlen = (fam == 6) ? 48 : 28
    dest = host
    recv = 0; nt = 0; fatal = ""
    # counts of: local EMSGSIZE, lines printed for them, own ARP/ND failures, own net-unreachable
    # lines, ENETUNREACH/ENETDOWN seen, ICMP errors from routers
    localerr = 0; tllines = 0; toobig = ""; hostdown = 0; nulines = 0; netunreach = 0; netdown = 0
    routererr = 0
    vl_load(hostdir)
    for (i = 1; i <= VL_NV; i++) {
        if (VL_V[i, 8] != "-") own[VL_V[i, 8]] = 1
        if (VL_V[i, 11] != "-") {
            n = split(VL_V[i, 11], a6, ",")
            for (j = 1; j <= n; j++) { split(a6[j], ap, "/"); own[vl_canon6(ap[1])] = 1 }
        }
    }
    if (forced == "down") {
        header()
        netdown = 1
        exit
    }
}

function out(s) {
    if (shown > 0) { shown--; return }
    print s
    fflush()
}

function header() {
    if (hdr_done) return
    hdr_done = 1
    out("PING " host " (" dest "): " size " data bytes")
}

function line_out(s) {
    header()
    out(s)
}

function emit(n, what,    k) {
    for (k = 0; k < n; k++) line_out("sendto() failed (" what ")")
}

# iputils header: "PING 198.18.2.11 (198.18.2.11) [from SRC DEV: ]56(84) bytes of data." or
#                 "PING 2001:db8::12(2001:db8::12) from 2001:db8::11 vmk0: 56 data bytes"
/^PING / {
    t = $2
    if (index(t, "(")) {
        dest = substr(t, index(t, "(") + 1); sub(/\).*/, "", dest)
    } else if ($3 ~ /^\(/) {
        dest = $3; gsub(/[()]/, "", dest)
    }
    header()
    next
}

# replies: "64 bytes from 198.18.0.12: icmp_seq=1 ttl=64 time=0.037 ms [(DUP!)]"
/^[0-9]+ bytes from / && /icmp_seq=/ {
    from = $4; sub(/:$/, "", from)
    seq = ""; ttl = ""; tm = ""
    for (i = 5; i <= NF; i++) {
        if ($i ~ /^icmp_seq=/) seq = substr($i, 10) - 1
        else if ($i ~ /^ttl=/) ttl = substr($i, 5)
        else if ($i ~ /^hlim=/) ttl = substr($i, 6)
        else if ($i ~ /^time[=<]/) tm = substr($i, 6) + 0
    }
    dup = / \(DUP!\)/
    s = $1 " bytes from " from ": icmp_seq=" seq
    if (ttl != "" && fam != 6) s = s " ttl=" ttl
    if (tm != "") s = s sprintf(" time=%.3f ms", tm)
    if (dup) { line_out(s " (DUP!)"); next }
    line_out(s)
    recv++
    if (tm != "") {
        nt++; sum += tm
        if (nt == 1 || tm < tmin) tmin = tm
        if (nt == 1 || tm > tmax) tmax = tm
    }
    next
}

# ICMP errors: only our own address reporting a failed neighbour resolution is a local failure;
# errors from routers (Frag needed, Packet too big, unreachable, Time to live exceeded) are loss.
/^From / {
    if (($2 in own) && /Destination Host Unreachable|Address unreachable/) {
        # bound to a vmk (-I) with no route, Linux resolves the destination on-link and fails;
        # ESXi has no route and says so: ask the kernel once which of the two it was
        if (hu_label == "") { if (vmk != "") diagnose(); hu_label = rt_unreach ? "nu" : "hd" }
        if (hu_label == "nu") { emit(1, "Network is unreachable"); nulines++ }
        else { emit(1, "Host is down"); hostdown++ }
    } else if (($2 in own) && /Destination Net Unreachable|No route/) {
        emit(1, "Network is unreachable"); nulines++
    } else routererr++
    next
}

# EMSGSIZE: above the vmk MTU it is ESXi's local error; below it, a cached path MTU: only loss.
/[Mm]essage too long/ {
    localerr++
    if (toobig == "") { mtu = egress_mtu(); toobig = (mtu ~ /^[0-9]+$/ && size + hdrlen > mtu + 0) }
    if (toobig) { emit(1, "Message too long"); tllines++ }
    next
}
/Network is unreachable/ { netunreach++; next }
/Network is down/ { netdown++; next }
/Name or service not known|Temporary failure in name resolution|No address associated/ {
    fatal = "ping: cannot resolve " host ": Unknown host"; next
}
/^nsenter: / { if (fatal == "") fatal = "vmkping: " $0; next }
/^ping: / && !/[Ww]arning/ { if (fatal == "") { fatal = $0; sub(/^ping: /, "vmkping: ", fatal) }; next }
{ next }

# One ip(8) batch in the stack's namespace, only when nothing at all came back: link flags, the
# route to the destination (from the vmk's address, so per-vmk policy routing applies) and the
# neighbour table.
function diagnose(    cmd, line, f, n, i, name, via, dev, src) {
    if (ns == "" || dest !~ /^[0-9A-Fa-f:.]+$/ || srcip !~ /^[0-9A-Fa-f:.]*$/) return
    src = (srcip != "") ? " from " srcip : ""
    cmd = "exec nsenter --net=/run/netns/" ns " ip -o -force -batch - 2>&1 <<'EOF'\n" \
          "link show\nroute get " dest src "\nneigh show\nEOF"
    while ((cmd | getline line) > 0) {
        n = split(line, f, " ")
        if (line ~ /^[0-9]+: /) {
            name = f[2]; sub(/:$/, "", name); sub(/@.*/, "", name)
            lflags[name] = f[3]
        } else if (line ~ /^RTNETLINK answers: (Network is unreachable|No route)/) {
            rt_unreach = 1
        } else if (f[1] == dest && line ~ / uid /) {
            via = ""; dev = ""
            for (i = 2; i < n; i++) {
                if (f[i] == "via") via = f[i + 1]
                else if (f[i] == "dev") dev = f[i + 1]
            }
            rt_dev = dev; rt_nh = (via != "") ? via : dest
        } else if (n >= 3 && f[2] == "dev") {
            nstate[f[1], f[3]] = f[n]
        }
    }
    close(cmd)
}

function linkdown(dev,    fl) {
    if (!(dev in lflags)) return 0
    fl = lflags[dev]
    return fl !~ /[<,]UP[,>]/ || fl ~ /NO-CARRIER/
}

function resolvefailed(addr, dev,    s) {
    s = nstate[addr, dev]
    return s == "FAILED" || s == "INCOMPLETE"
}

# MTU (vmks.tsv) of the vmk the packets leave by: -I, else the on-link vmk, else the default route's.
function egress_mtu(    v) {
    v = vmk
    if (v == "") v = vl_onlink(stack, dest, fam)
    if (v == "") v = vl_gwvmk(stack, fam)
    return (v in VL_VI) ? VL_V[VL_VI[v], 6] : ""
}

END {
    if (fatal != "" && !hdr_done) { print fatal; exit 1 }
    if (recv == 0 && !netdown) {
        if (localerr) {
            if (toobig) emit(count - tllines, "Message too long")
        } else if (hostdown) emit(count - hostdown, "Host is down")
        else if (nulines) emit(count - nulines, "Network is unreachable")
        else if (netunreach && vmk == "") emit(count, "Network is unreachable")
        else if (!routererr) {
            # silence (or connect() refused with -I): ask the kernel why, once
            diagnose()
            if (vmk != "" && linkdown(vmk)) netdown = 1
            else if (netunreach || rt_unreach) emit(count, "Network is unreachable")
            else if (vmk != "" && rt_dev != vmk && resolvefailed(dest, vmk)) emit(count, "Host is down")
            else if (rt_dev != "" && resolvefailed(rt_nh, rt_dev)) emit(count, "Host is down")
        }
    }
    if (netdown) emit(count, "Network is down")
    header()
    if (recv > count) recv = count
    loss = (count > 0) ? (count - recv) * 100 / count : 0
    loss = (loss == int(loss)) ? sprintf("%d", loss) : sprintf("%.1f", loss)
    print ""
    print "--- " host " ping statistics ---"
    print count " packets transmitted, " recv " packets received, " loss "% packet loss"
    if (recv > 0 && nt > 0)
        printf "round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", tmin, sum / nt, tmax
    exit recv > 0 ? 0 : 1
}
