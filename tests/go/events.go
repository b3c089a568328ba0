// events.go: the reference side of the `httptrace events` comparison. It sends the same
// request through Go's net/http with every ClientTrace hook set and prints each hook call in
// the JSON-lines format of spec/events-format.md, so the two outputs can be diffed.
//
//	go run events.go [-X M] [-H 'K: v']... [-d DATA] [-repeat N] [-L] [-disable-keepalive]
//	                 [-dns-servers IP:PORT] [-cacert FILE] [-k] URL
//
// Flags come before the URL (Go's flag package stops at the first argument).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

var out sync.Mutex

type line struct {
	b strings.Builder
}

func begin(req int, event string, start time.Time) *line {
	l := &line{}
	fmt.Fprintf(&l.b, `{"req":%d,"event":%s,"t_us":%d`, req, js(event), time.Since(start).Microseconds())
	return l
}

func js(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (l *line) f(key string, v interface{}) *line {
	fmt.Fprintf(&l.b, `,%s:%s`, js(key), js(v))
	return l
}

func (l *line) raw(key, json string) *line {
	fmt.Fprintf(&l.b, `,%s:%s`, js(key), json)
	return l
}

func (l *line) emit() {
	out.Lock()
	defer out.Unlock()
	os.Stdout.WriteString(l.b.String() + "}\n")
}

func errText(err error) interface{} {
	if err == nil {
		return nil
	}
	return err.Error()
}

func strs(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLS 1.2"
	case tls.VersionTLS13:
		return "TLS 1.3"
	case 0:
		return ""
	}
	return fmt.Sprintf("0x%04x", v)
}

func headerObject(h textproto.MIMEHeader) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(js(k) + ":" + js(strs(h[k])))
	}
	b.WriteString("}")
	return b.String()
}

func trace(req int, start time.Time) *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn:  func(hostPort string) { begin(req, "get_conn", start).f("host_port", hostPort).emit() },
		DNSStart: func(i httptrace.DNSStartInfo) { begin(req, "dns_start", start).f("host", i.Host).emit() },
		DNSDone: func(i httptrace.DNSDoneInfo) {
			addrs := []string{}
			for _, a := range i.Addrs {
				addrs = append(addrs, a.String())
			}
			begin(req, "dns_done", start).f("addrs", addrs).f("coalesced", i.Coalesced).f("err", errText(i.Err)).emit()
		},
		ConnectStart: func(network, addr string) {
			begin(req, "connect_start", start).f("network", network).f("addr", addr).emit()
		},
		ConnectDone: func(network, addr string, err error) {
			begin(req, "connect_done", start).f("network", network).f("addr", addr).f("err", errText(err)).emit()
		},
		TLSHandshakeStart: func() { begin(req, "tls_handshake_start", start).emit() },
		TLSHandshakeDone: func(s tls.ConnectionState, err error) {
			cipher := ""
			if s.CipherSuite != 0 {
				cipher = tls.CipherSuiteName(s.CipherSuite)
			}
			begin(req, "tls_handshake_done", start).f("version", tlsVersion(s.Version)).f("cipher_suite", cipher).
				f("negotiated_protocol", s.NegotiatedProtocol).f("server_name", s.ServerName).
				f("did_resume", s.DidResume).f("peer_certificates", len(s.PeerCertificates)).f("err", errText(err)).emit()
		},
		GotConn: func(i httptrace.GotConnInfo) {
			begin(req, "got_conn", start).f("reused", i.Reused).f("was_idle", i.WasIdle).
				f("idle_time_us", i.IdleTime.Microseconds()).f("local_addr", i.Conn.LocalAddr().String()).
				f("remote_addr", i.Conn.RemoteAddr().String()).emit()
		},
		WroteHeaderField: func(key string, values []string) {
			begin(req, "wrote_header_field", start).f("key", key).f("values", strs(values)).emit()
		},
		WroteHeaders:    func() { begin(req, "wrote_headers", start).emit() },
		Wait100Continue: func() { begin(req, "wait_100_continue", start).emit() },
		Got100Continue:  func() { begin(req, "got_100_continue", start).emit() },
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			begin(req, "got_1xx_response", start).f("code", code).raw("header", headerObject(h)).emit()
			return nil
		},
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			begin(req, "wrote_request", start).f("err", errText(i.Err)).emit()
		},
		GotFirstResponseByte: func() { begin(req, "got_first_response_byte", start).emit() },
		PutIdleConn:          func(err error) { begin(req, "put_idle_conn", start).f("err", errText(err)).emit() },
	}
}

func main() {
	method := flag.String("X", "", "method")
	var headers headerFlags
	flag.Var(&headers, "H", "header")
	data := flag.String("d", "", "body")
	repeat := flag.Int("repeat", 1, "requests")
	follow := flag.Bool("L", false, "follow redirects")
	noKeepAlive := flag.Bool("disable-keepalive", false, "disable keep-alive")
	dnsServer := flag.String("dns-servers", "", "DNS server ip:port")
	caFile := flag.String("cacert", "", "CA bundle")
	insecure := flag.Bool("k", false, "skip verification")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: events [flags] URL")
		os.Exit(2)
	}
	url := flag.Arg(0)
	hasData := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "d" {
			hasData = true
		}
	})
	if *method == "" {
		*method = "GET"
		if hasData {
			*method = "POST"
		}
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DisableKeepAlives = *noKeepAlive
	transport.Proxy = nil
	if *dnsServer != "" {
		resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, *dnsServer)
		}}
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Resolver: resolver}
		transport.DialContext = dialer.DialContext
	}
	tlsConfig := &tls.Config{InsecureSkipVerify: *insecure}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tlsConfig.RootCAs = pool
	}
	transport.TLSClientConfig = tlsConfig
	client := &http.Client{Transport: transport}
	if !*follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}

	status := 0
	for i := 0; i < *repeat; i++ {
		start := time.Now()
		var body io.Reader
		if hasData {
			body = strings.NewReader(*data)
		}
		req, err := http.NewRequest(*method, url, body)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for _, h := range headers {
			k, v, ok := strings.Cut(h, ":")
			if !ok {
				fmt.Fprintln(os.Stderr, "bad header", h)
				os.Exit(2)
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if http.CanonicalHeaderKey(k) == "Host" {
				req.Host = v
			} else {
				req.Header.Add(k, v)
			}
		}
		req = req.WithContext(httptrace.WithClientTrace(context.Background(), trace(i, start)))
		resp, err := client.Do(req)
		if err != nil {
			begin(i, "error", start).f("err", err.Error()).emit()
			status = 1
			continue
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			begin(i, "error", start).f("err", err.Error()).emit()
			status = 1
			continue
		}
		begin(i, "response", start).f("status", resp.StatusCode).f("proto", resp.Proto).f("body_bytes", n).emit()
	}
	os.Exit(status)
}
