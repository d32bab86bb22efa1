package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// soapFront answers, in front of the simulator's /sdk handler, the esxcli-over-API methods the library
// does not have (HostSystem.RetrieveManagedMethodExecuter and RetrieveDynamicTypeManager,
// DynamicTypeMgrQueryMoInstances, ReflectManagedMethodExecuter.ExecuteSoap); every other request reaches
// the simulator untouched. Sessions are the simulator's: a call is authenticated when the simulator
// accepts its session cookie.
type soapFront struct {
	next        http.Handler                 // the simulator's own mux
	hosts       map[string]*hostState        // by HostSystem managed object id
	stop        context.Context              // cancelled when vcsim stops: hung calls and running pings end
	expireAfter int                          // model expire_sessions_after_calls (0 = never)
	sessionRef  types.ManagedObjectReference // the SessionManager (for Logout)

	mu    sync.Mutex
	calls map[string]int // ExecuteSoap calls per session cookie
}

const (
	mmePrefix = "mme-"
	dtmPrefix = "dtm-"
	mmeType   = "ReflectManagedMethodExecuter"
	dtmType   = "InternalDynamicTypeManager"
)

var frontMethods = []string{
	"RetrieveManagedMethodExecuter", "RetrieveDynamicTypeManager", "DynamicTypeMgrQueryMoInstances", "ExecuteSoap",
}

func newSoapFront(next http.Handler, inv *inventory, m *Model, stop context.Context) *soapFront {
	f := &soapFront{
		next: next, hosts: map[string]*hostState{}, stop: stop, expireAfter: m.ExpireSessionsAfterCalls,
		sessionRef: *inv.client.ServiceContent.SessionManager, calls: map[string]int{},
	}
	for _, st := range inv.hosts {
		f.hosts[st.host.Self.Value] = st
	}
	return f
}

// moRef is a managed object reference as it appears in a request (any namespace).
type moRef struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

func (r moRef) ref() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: r.Type, Value: strings.TrimSpace(r.Value)}
}

// soapArgument is ReflectManagedMethodExecuterSoapArgument: val is the XML text <name>value</name>.
type soapArgument struct {
	Name string `xml:"name"`
	Val  string `xml:"val"`
}

// frontCall is the body element of one request, read by local name (any namespace prefix).
type frontCall struct {
	XMLName    xml.Name
	This       moRef          `xml:"_this"`
	Moid       string         `xml:"moid"`
	Version    string         `xml:"version"`
	Method     string         `xml:"method"`
	Argument   []soapArgument `xml:"argument"`
	FilterSpec *struct {
		ID         string `xml:"id"`
		TypeSubstr string `xml:"typeSubstr"`
	} `xml:"filterSpec"`
}

type frontEnvelope struct {
	Body struct {
		Call frontCall `xml:",any"`
	} `xml:"Body"`
}

// parseFrontCall returns the request's call when it is one of the front's methods.
func parseFrontCall(body []byte) (*frontCall, bool) {
	mentioned := false
	for _, name := range frontMethods {
		if bytes.Contains(body, []byte(name)) {
			mentioned = true
			break
		}
	}
	if !mentioned {
		return nil, false
	}
	var env frontEnvelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, false // the simulator answers malformed requests
	}
	call := &env.Body.Call
	for _, name := range frontMethods {
		if call.XMLName.Local == name {
			return call, true
		}
	}
	return nil, false
}

func (f *soapFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || (r.URL.Path != "/sdk" && r.URL.Path != "/sdk/vimService") {
		f.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	call, ok := parseFrontCall(body)
	if !ok {
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.next.ServeHTTP(w, r)
		return
	}
	cookie, authenticated := f.session(r)
	if !authenticated {
		writeFault(w, "", &types.NotAuthenticated{
			NoPermission: types.NoPermission{Object: call.This.ref(), PrivilegeId: "System.View"},
		})
		return
	}
	switch call.XMLName.Local {
	case "RetrieveManagedMethodExecuter":
		f.retrieveManager(w, call, mmePrefix, mmeType)
	case "RetrieveDynamicTypeManager":
		f.retrieveManager(w, call, dtmPrefix, dtmType)
	case "DynamicTypeMgrQueryMoInstances":
		f.queryMoInstances(w, call)
	case "ExecuteSoap":
		f.executeSoap(w, r, call, cookie)
	}
}

// session is the request's session cookie and whether the simulator knows it (asked with CurrentTime,
// which needs a session, so the answer is the simulator's own).
func (f *soapFront) session(r *http.Request) (string, bool) {
	cookie, err := r.Cookie(soap.SessionCookieName)
	if err != nil || cookie.Value == "" {
		return "", false
	}
	probe := `<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></CurrentTime>`
	return cookie.Value, f.inner(cookie, probe) == http.StatusOK
}

// logout ends a session in the simulator itself, so every later call on its cookie is refused there.
func (f *soapFront) logout(value string) {
	cookie := &http.Cookie{Name: soap.SessionCookieName, Value: value}
	this := `<_this type="` + escape(f.sessionRef.Type) + `">` + escape(f.sessionRef.Value) + `</_this>`
	f.inner(cookie, `<Logout xmlns="urn:vim25">`+this+`</Logout>`)
}

// inner posts one call to the simulator with the given session cookie and returns its HTTP status.
func (f *soapFront) inner(cookie *http.Cookie, call string) int {
	envelope := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope ` +
		`xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` + call +
		`</soapenv:Body></soapenv:Envelope>`
	req := httptest.NewRequest(http.MethodPost, "/sdk", strings.NewReader(envelope))
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, req)
	return rec.Code
}

// host is the connected host behind a reference of the given type and id prefix, or the SOAP fault
// the simulator gives for an unknown object (ManagedObjectNotFound) or vCenter for a host it cannot reach.
func (f *soapFront) host(this moRef, kind, prefix string) (*hostState, *soap.Fault) {
	ref := this.ref()
	st := f.hosts[strings.TrimPrefix(ref.Value, prefix)]
	if ref.Type != kind || !strings.HasPrefix(ref.Value, prefix) || st == nil {
		return nil, simulator.Fault("managed object not found: "+ref.String(), &types.ManagedObjectNotFound{Obj: ref})
	}
	var state types.HostSystemConnectionState
	simulator.Map.WithLock(st.host, func() { state = st.host.Runtime.ConnectionState })
	if state != types.HostSystemConnectionStateConnected {
		return nil, simulator.Fault("Host is not connected ("+string(state)+")", &types.HostNotConnected{})
	}
	return st, nil
}

func (f *soapFront) retrieveManager(w http.ResponseWriter, call *frontCall, prefix, kind string) {
	st, fault := f.host(call.This, "HostSystem", "")
	if fault != nil {
		writeSoapFault(w, fault)
		return
	}
	id := prefix + st.host.Self.Value
	writeResponse(w, call.XMLName.Local, `<returnval type="`+kind+`">`+escape(id)+`</returnval>`)
}

// dynamicMoInstances are the managed objects the host's type manager lists: the esxcli handlers served.
var dynamicMoInstances = []struct{ id, moType string }{
	{"ha-cli-handler-network-diag", "vim.EsxCLI.network.diag"},
}

func (f *soapFront) queryMoInstances(w http.ResponseWriter, call *frontCall) {
	if _, fault := f.host(call.This, dtmType, dtmPrefix); fault != nil {
		writeSoapFault(w, fault)
		return
	}
	var out strings.Builder
	for _, mo := range dynamicMoInstances {
		if spec := call.FilterSpec; spec != nil {
			if (spec.ID != "" && spec.ID != mo.id) || !strings.Contains(mo.moType, spec.TypeSubstr) {
				continue
			}
		}
		out.WriteString("<returnval><id>" + escape(mo.id) + "</id><moType>" + escape(mo.moType) + "</moType></returnval>")
	}
	writeResponse(w, call.XMLName.Local, out.String())
}

// countCall counts one ExecuteSoap on a session; false when the session is past its allowance. The call
// that uses up the allowance logs the session out, so the simulator refuses the cookie from then on.
func (f *soapFront) countCall(cookie string) bool {
	if f.expireAfter <= 0 {
		return true
	}
	f.mu.Lock()
	f.calls[cookie]++
	n := f.calls[cookie]
	f.mu.Unlock()
	if n == f.expireAfter {
		f.logout(cookie)
	}
	return n <= f.expireAfter
}

// ---------------------------------------------------------------- answers ----

const envelopeStart = xml.Header +
	`<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ` +
	`xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ` +
	`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`

const envelopeEnd = `</soapenv:Body></soapenv:Envelope>`

// escape is text made safe as XML character data or attribute value.
func escape(text string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(text))
	return b.String()
}

// writeXML answers with a Content-Length (the net/http server would chunk an answer above 2 KB, as a ping's
// response document is): the client reads one framed answer.
func writeXML(w http.ResponseWriter, status int, body string) {
	text := envelopeStart + body + envelopeEnd
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

// writeResponse answers METHOD with <METHODResponse xmlns="urn:vim25">inner</METHODResponse>.
func writeResponse(w http.ResponseWriter, method, inner string) {
	writeXML(w, http.StatusOK, "<"+method+`Response xmlns="urn:vim25">`+inner+"</"+method+"Response>")
}

// faultDetail and soapFault encode a SOAP fault exactly as the simulator does (simulator.go).
type faultDetail struct {
	Fault types.AnyType
}

func (d *faultDetail) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	kind := reflect.TypeOf(d.Fault).Elem().Name()
	start.Name.Local = kind + "Fault"
	start.Attr = append(start.Attr,
		xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: "urn:vim25"},
		xml.Attr{Name: xml.Name{Local: "xsi:type"}, Value: kind})
	return e.EncodeElement(d.Fault, start)
}

type soapFault struct {
	XMLName xml.Name `xml:"soapenv:Fault"`
	Code    string   `xml:"faultcode"`
	String  string   `xml:"faultstring"`
	Detail  struct {
		Fault *faultDetail
	} `xml:"detail"`
}

func writeSoapFault(w http.ResponseWriter, f *soap.Fault) {
	var out bytes.Buffer
	body := soapFault{Code: f.Code, String: f.String}
	body.Detail.Fault = &faultDetail{f.Detail.Fault}
	if err := xml.NewEncoder(&out).Encode(body); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeXML(w, http.StatusInternalServerError, out.String())
}

func writeFault(w http.ResponseWriter, msg string, fault types.BaseMethodFault) {
	writeSoapFault(w, simulator.Fault(msg, fault))
}
