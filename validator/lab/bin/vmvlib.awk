# vmvlib.awk: address helpers shared by esxcli.awk and vmkping.awk (POSIX awk, mawk-compatible:
# no bit operations, no gawk extensions). Functions and globals use the vl_ / VL_ prefix.

# ---- IPv4 --------------------------------------------------------------------------------------

# Split dotted quad `ip` into o[1..4]; 1 when valid.
function vl_ip4(ip, o,    n, i) {
    n = split(ip, o, ".")
    if (n != 4) return 0
    for (i = 1; i <= 4; i++) {
        if (o[i] !~ /^[0-9]+$/ || o[i] + 0 > 255) return 0
        o[i] += 0
    }
    return 1
}

# Size of the host part of octet i (1..4) for prefix length p, as a power of two.
function vl_blk4(p, i,    bits) {
    bits = p - 8 * (i - 1)
    if (bits < 0) bits = 0
    if (bits > 8) bits = 8
    return 2 ^ (8 - bits)
}

function vl_mask4(p,    i, s, b) {
    s = ""
    for (i = 1; i <= 4; i++) {
        b = vl_blk4(p, i)
        s = s (i > 1 ? "." : "") (256 - b)
    }
    return s
}

# Network (what = "net") or broadcast (what = "bcast") address of ip/p.
function vl_net4(ip, p, what,    o, i, s, b, v) {
    if (!vl_ip4(ip, o)) return ""
    s = ""
    for (i = 1; i <= 4; i++) {
        b = vl_blk4(p, i)
        v = int(o[i] / b) * b
        if (what == "bcast") v += b - 1
        s = s (i > 1 ? "." : "") v
    }
    return s
}

function vl_in4(ip, net, p) {
    return vl_net4(ip, p, "net") != "" && vl_net4(ip, p, "net") == vl_net4(net, p, "net")
}

# ---- IPv6 --------------------------------------------------------------------------------------

function vl_hex(s,    i, v, d) {
    s = tolower(s)
    if (s == "" || length(s) > 4) return -1
    v = 0
    for (i = 1; i <= length(s); i++) {
        d = index("0123456789abcdef", substr(s, i, 1))
        if (!d) return -1
        v = v * 16 + d - 1
    }
    return v
}

# Parse IPv6 address `a` (no prefix) into h[1..8] (numbers); 1 when valid.
function vl_ip6(a, h,    dc, left, right, nl, nr, L, R, i, k, o, v) {
    sub(/%.*/, "", a)
    if (a !~ /:/) return 0
    dc = index(a, "::")
    if (dc) {
        left = substr(a, 1, dc - 1)
        right = substr(a, dc + 2)
        if (index(right, "::")) return 0
    } else {
        left = a
        right = ""
    }
    nl = (left == "") ? 0 : split(left, L, ":")
    nr = (right == "") ? 0 : split(right, R, ":")
    # embedded IPv4 in the last group (::ffff:198.18.0.1)
    if (nr > 0 && R[nr] ~ /\./) {
        if (!vl_ip4(R[nr], o)) return 0
        R[nr] = sprintf("%x", o[1] * 256 + o[2])
        R[++nr] = sprintf("%x", o[3] * 256 + o[4])
    } else if (nr == 0 && nl > 0 && L[nl] ~ /\./) {
        if (!vl_ip4(L[nl], o)) return 0
        L[nl] = sprintf("%x", o[1] * 256 + o[2])
        L[++nl] = sprintf("%x", o[3] * 256 + o[4])
    }
    if (dc ? (nl + nr > 7) : (nl != 8)) return 0
    k = 0
    for (i = 1; i <= nl; i++) {
        v = vl_hex(L[i]); if (v < 0) return 0
        h[++k] = v
    }
    for (i = nl + nr; i < 8; i++) h[++k] = 0
    for (i = 1; i <= nr; i++) {
        v = vl_hex(R[i]); if (v < 0) return 0
        h[++k] = v
    }
    return 1
}

# Canonical (RFC 5952) text of h[1..8].
function vl_str6(h,    i, bs, bl, cs, cl, s) {
    bs = 0; bl = 0; cs = 0; cl = 0
    for (i = 1; i <= 8; i++) {
        if (h[i] == 0) {
            if (!cl) cs = i
            cl++
            if (cl > bl) { bl = cl; bs = cs }
        } else cl = 0
    }
    if (bl < 2) bs = 0
    s = ""
    for (i = 1; i <= 8; i++) {
        if (bs && i >= bs && i < bs + bl) {
            if (i == bs) s = s "::"
            continue
        }
        if (s != "" && s !~ /::$/) s = s ":"
        s = s sprintf("%x", h[i])
    }
    return s
}

# Network address (canonical text) of a/p; "" when `a` is not IPv6.
function vl_net6(a, p,    h, i, bits, b) {
    if (!vl_ip6(a, h)) return ""
    for (i = 1; i <= 8; i++) {
        bits = p - 16 * (i - 1)
        if (bits < 0) bits = 0
        if (bits > 16) bits = 16
        b = 2 ^ (16 - bits)
        h[i] = int(h[i] / b) * b
    }
    return vl_str6(h)
}

function vl_canon6(a,    h) {
    return vl_ip6(a, h) ? vl_str6(h) : a
}

function vl_in6(a, net, p) {
    return vl_net6(a, p) != "" && vl_net6(a, p) == vl_net6(net, p)
}

# EUI-64 link-local address from a MAC (00:50:56:6a:7c:2e -> fe80::250:56ff:fe6a:7c2e).
function vl_ll6(mac,    m, n, h) {
    n = split(mac, m, ":")
    if (n != 6) return ""
    h[1] = 65152; h[2] = 0; h[3] = 0; h[4] = 0
    m[1] = vl_hex(m[1])
    # flip the universal/local bit (0x02) without bit operators
    m[1] = (int(m[1] / 2) % 2) ? m[1] - 2 : m[1] + 2
    h[5] = m[1] * 256 + vl_hex(m[2])
    h[6] = vl_hex(m[3]) * 256 + 255
    h[7] = 254 * 256 + vl_hex(m[4])
    h[8] = vl_hex(m[5]) * 256 + vl_hex(m[6])
    return vl_str6(h)
}

# ---- host data files ---------------------------------------------------------------------------

# Read STATE/hosts/H/vmks.tsv and netstacks.tsv (contract fields) into globals:
#   VL_NV, VL_V[i, f] (f = 1..13), VL_VI[name] = i;  VL_NS, VL_S[i, f] (f = 1..5), VL_SI[key] = i.
function vl_load(dir,    line, f, n, i, file) {
    VL_NV = 0
    file = dir "/vmks.tsv"
    while ((getline line < file) > 0) {
        if (line ~ /^[ \t]*(#|$)/) continue
        n = split(line, f, "\t")
        VL_NV++
        for (i = 1; i <= 13; i++) VL_V[VL_NV, i] = (i <= n && f[i] != "") ? f[i] : "-"
        VL_VI[f[1]] = VL_NV
    }
    close(file)
    VL_NS = 0
    file = dir "/netstacks.tsv"
    while ((getline line < file) > 0) {
        if (line ~ /^[ \t]*(#|$)/) continue
        n = split(line, f, "\t")
        VL_NS++
        for (i = 1; i <= 5; i++) VL_S[VL_NS, i] = (i <= n && f[i] != "") ? f[i] : "-"
        VL_SI[f[1]] = VL_NS
    }
    close(file)
}

# The vmk of stack `key` whose IPv4 (fam 4) or IPv6 (fam 6) subnet contains `addr`; "" if none.
function vl_onlink(key, addr, fam,    i, j, n, a, ap) {
    for (i = 1; i <= VL_NV; i++) {
        if (VL_V[i, 2] != key) continue
        if (fam == 4) {
            if (VL_V[i, 8] != "-" && vl_in4(addr, VL_V[i, 8], VL_V[i, 9])) return VL_V[i, 1]
        } else if (VL_V[i, 11] != "-") {
            n = split(VL_V[i, 11], a, ",")
            for (j = 1; j <= n; j++) {
                split(a[j], ap, "/")
                if (vl_in6(addr, ap[1], ap[2] == "" ? 128 : ap[2])) return VL_V[i, 1]
            }
        }
    }
    return ""
}

# Interface of stack `key`'s default route for family fam: the vmk with the gateway on-link, else
# netstacks.tsv field 5.
function vl_gwvmk(key, fam,    s, gw, v) {
    s = VL_SI[key]
    if (!s) return ""
    gw = VL_S[s, fam == 4 ? 3 : 4]
    v = (gw == "-") ? "" : vl_onlink(key, gw, fam)
    return v != "" ? v : VL_S[s, 5]
}
