package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// proxyHeaderTimeout bounds reading a connection's PROXY protocol header.
const proxyHeaderTimeout = 10 * time.Second

// proxyV2Sig starts every PROXY protocol v2 header.
var proxyV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// proxyListener requires a PROXY protocol header (v1 or v2) at the start
// of every connection, as nginx's "listen … proxy_protocol" does. The
// header's source address becomes the connection's RemoteAddr only when
// the TCP peer is trusted; an untrusted peer keeps its own address.
type proxyListener struct {
	net.Listener
	trusted func(netip.Addr) bool
}

// Accept returns the next connection; its header is read on first use, in
// the connection's own goroutine, so a slow client cannot stall Accept.
func (l *proxyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &proxyConn{Conn: c, trusted: l.trusted, r: bufio.NewReader(c)}, nil
}

// proxyConn is a connection that starts with a PROXY protocol header.
type proxyConn struct {
	net.Conn
	trusted func(netip.Addr) bool
	r       *bufio.Reader
	once    sync.Once
	remote  net.Addr
	err     error
}

// init reads the header once.
func (c *proxyConn) init() {
	c.once.Do(func() {
		c.remote = c.Conn.RemoteAddr()
		c.Conn.SetReadDeadline(time.Now().Add(proxyHeaderTimeout))
		src, err := readProxyHeader(c.r)
		c.Conn.SetReadDeadline(time.Time{})
		if err != nil {
			c.err = fmt.Errorf("PROXY protocol header from %s: %w", c.remote, err)
			return
		}
		peer, ok := c.remote.(*net.TCPAddr)
		if src.IsValid() && ok && c.trusted(peer.AddrPort().Addr().Unmap()) {
			c.remote = net.TCPAddrFromAddrPort(src)
		}
	})
}

// Read reads after the header; a missing or malformed header fails the
// connection.
func (c *proxyConn) Read(b []byte) (int, error) {
	c.init()
	if c.err != nil {
		return 0, c.err
	}
	return c.r.Read(b)
}

// RemoteAddr is the PROXY header's source for a trusted peer, else the
// peer.
func (c *proxyConn) RemoteAddr() net.Addr {
	c.init()
	return c.remote
}

// readProxyHeader reads a v1 or v2 header and returns its source address;
// the zero AddrPort for v1 UNKNOWN, v2 LOCAL and v2 families other than
// TCP over IPv4 or IPv6 (the peer's own address then stands).
func readProxyHeader(r *bufio.Reader) (netip.AddrPort, error) {
	sig, err := r.Peek(len(proxyV2Sig))
	if err != nil && !bytes.HasPrefix(sig, []byte("PROXY ")) {
		return netip.AddrPort{}, errors.New("missing")
	}
	if bytes.Equal(sig, proxyV2Sig) {
		return readProxyV2(r)
	}
	return readProxyV1(r)
}

// readProxyV1 reads "PROXY TCP4|TCP6 src dst sport dport\r\n" (at most
// 107 bytes) or "PROXY UNKNOWN …\r\n".
func readProxyV1(r *bufio.Reader) (netip.AddrPort, error) {
	var line []byte
	for len(line) < 107 {
		b, err := r.ReadByte()
		if err != nil {
			return netip.AddrPort{}, errors.New("truncated v1 header")
		}
		line = append(line, b)
		if b == '\n' {
			break
		}
	}
	s, ok := strings.CutSuffix(string(line), "\r\n")
	if !ok || !strings.HasPrefix(s, "PROXY ") {
		return netip.AddrPort{}, errors.New("malformed v1 header")
	}
	f := strings.Split(s, " ")
	if len(f) >= 2 && f[1] == "UNKNOWN" {
		return netip.AddrPort{}, nil
	}
	if len(f) != 6 || (f[1] != "TCP4" && f[1] != "TCP6") {
		return netip.AddrPort{}, errors.New("malformed v1 header")
	}
	src, err1 := netip.ParseAddr(f[2])
	_, err2 := netip.ParseAddr(f[3])
	port, err3 := strconv.ParseUint(f[4], 10, 16)
	_, err4 := strconv.ParseUint(f[5], 10, 16)
	if err := errors.Join(err1, err2, err3, err4); err != nil || src.Is4() != (f[1] == "TCP4") || src.Zone() != "" {
		return netip.AddrPort{}, errors.New("malformed v1 header")
	}
	return netip.AddrPortFrom(src, uint16(port)), nil
}

// readProxyV2 reads a binary header: signature, version and command,
// family, length, addresses and TLVs (skipped).
func readProxyV2(r *bufio.Reader) (netip.AddrPort, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return netip.AddrPort{}, errors.New("truncated v2 header")
	}
	verCmd, fam, n := hdr[12], hdr[13], int(binary.BigEndian.Uint16(hdr[14:]))
	if verCmd>>4 != 2 || verCmd&0xf > 1 {
		return netip.AddrPort{}, errors.New("unsupported v2 version or command")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return netip.AddrPort{}, errors.New("truncated v2 header")
	}
	if verCmd&0xf == 0 { // LOCAL: the proxy's own connection (health checks)
		return netip.AddrPort{}, nil
	}
	switch fam {
	case 0x11: // TCP over IPv4
		if n < 12 {
			return netip.AddrPort{}, errors.New("short v2 IPv4 addresses")
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:10])), nil
	case 0x21: // TCP over IPv6
		if n < 36 {
			return netip.AddrPort{}, errors.New("short v2 IPv6 addresses")
		}
		a := netip.AddrFrom16([16]byte(body[0:16])).Unmap()
		return netip.AddrPortFrom(a, binary.BigEndian.Uint16(body[32:34])), nil
	}
	return netip.AddrPort{}, nil
}

// proxyProtocol reports whether a listener takes the PROXY protocol.
func proxyProtocol(l config.Listener) bool {
	return l.ClientAddress != nil && l.ClientAddress.From == config.FromProxyProtocol
}

// proxyWrap returns the PROXY protocol wrapper for a listener (and its
// redirect port), or nil. Trust is read from the current config, so a
// reload that changes trustedProxies applies to new connections.
func (s *Server) proxyWrap(l config.Listener) func(net.Listener) net.Listener {
	if !proxyProtocol(l) {
		return nil
	}
	name := l.Name
	return func(ln net.Listener) net.Listener {
		return &proxyListener{Listener: ln, trusted: func(a netip.Addr) bool {
			return s.state.Load().clients[name].trusts(a)
		}}
	}
}
