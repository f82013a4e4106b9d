package api_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"lading.dev/lading/api"
	"lading.dev/lading/api/apitest"
)

// exampleTypes names the Go type of each golden example.
var exampleTypes = map[string]func() any{
	"error":              func() any { return &api.Error{} },
	"me":                 func() any { return &api.Me{} },
	"order-page":         func() any { return &api.OrderPage{} },
	"ticket-request":     func() any { return &api.TicketRequest{} },
	"ticket":             func() any { return &api.DownloadTicket{} },
	"review":             func() any { return &api.Review{} },
	"acceptance-request": func() any { return &api.LicenseAcceptance{} },
	"acceptance":         func() any { return &api.LicenseAcceptance{} },
	"acceptances":        func() any { return &api.AcceptanceList{} },
	"access-request":     func() any { return &api.AccessRequest{} },
	"access-grant":       func() any { return &api.AccessGrant{} },
	"share-request":      func() any { return &api.ShareRequest{} },
	"notifications":      func() any { return &api.NotificationList{} },
}

// TestExamplesMatchTypes holds every golden example to its Go type: it
// decodes with no unknown field, and encoding it again gives exactly the
// documented fields, so the document names every field the types send.
func TestExamplesMatchTypes(t *testing.T) {
	examples, err := apitest.Examples()
	if err != nil {
		t.Fatal(err)
	}
	for name := range exampleTypes {
		if _, ok := examples[name]; !ok {
			t.Errorf("the document has no example %q", name)
		}
	}
	for name, data := range examples {
		t.Run(name, func(t *testing.T) {
			newValue, ok := exampleTypes[name]
			if !ok {
				t.Fatalf("example %q has no Go type in this test", name)
			}
			v := newValue()
			if err := apitest.DecodeStrict(data, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			docKeys, _ := apitest.Keys(data)
			typeKeys, _ := apitest.Keys(again)
			if !slices.Equal(docKeys, typeKeys) {
				t.Errorf("fields differ\n document lacks: %v\n type lacks:     %v",
					apitest.Missing(typeKeys, docKeys), apitest.Missing(docKeys, typeKeys))
			}
		})
	}
}

// TestErrorCodesDocumented checks that the error table lists every code the
// api package defines, and no other.
func TestErrorCodesDocumented(t *testing.T) {
	doc, err := apitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` +\\|")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		if !slices.Contains(documented, m[1]) {
			documented = append(documented, m[1])
		}
	}
	slices.Sort(documented)
	codes := slices.Clone(api.ErrorCodes)
	slices.Sort(codes)
	if !slices.Equal(documented, codes) {
		t.Errorf("documented codes %v, api codes %v", documented, codes)
	}
}

// TestEndpointsDocumented checks that every JSON path has its section.
func TestEndpointsDocumented(t *testing.T) {
	doc, err := apitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{api.PathMe, api.PathOrders, api.PathOrder, api.PathDownload,
		api.PathDocument, api.PathRestore, api.PathAcceptances, api.PathShare,
		api.PathNotifications, api.PathAccess} {
		if !strings.Contains(doc, "## GET "+p) && !strings.Contains(doc, "## POST "+p) {
			t.Errorf("no section for %s", p)
		}
	}
}
