package portal

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/api/apitest"
)

// TestPortalFollowsContract holds the demo portal's real answers to the
// golden examples of docs/portal-api.md: each answer decodes into the API
// type with no unknown field, sends no field the example lacks, and the
// answers together send every field the example shows.
func TestPortalFollowsContract(t *testing.T) {
	examples, err := apitest.Examples()
	if err != nil {
		t.Fatal(err)
	}
	answers := contractAnswers(t)
	for name, bodies := range answers {
		t.Run(name, func(t *testing.T) {
			want, _ := apitest.Keys(examples[name])
			var union []string
			for _, body := range bodies {
				if err := apitest.DecodeStrict(body, exampleValue(name)); err != nil {
					t.Fatalf("answer does not decode: %v\n%s", err, body)
				}
				keys, _ := apitest.Keys(body)
				if extra := apitest.Missing(keys, want); len(extra) > 0 {
					t.Errorf("the portal sends undocumented fields %v", extra)
				}
				for _, k := range keys {
					if !slices.Contains(union, k) {
						union = append(union, k)
					}
				}
			}
			if lack := apitest.Missing(want, union); len(lack) > 0 {
				t.Errorf("documented fields the portal never sends: %v", lack)
			}
		})
	}
	for _, name := range []string{"me", "order-page", "ticket", "review", "acceptance",
		"acceptances", "access-grant", "notifications", "error"} {
		if _, ok := answers[name]; !ok {
			t.Errorf("no real answer checked against example %q", name)
		}
	}
}

// exampleValue is a fresh value of an example's type.
func exampleValue(name string) any {
	switch name {
	case "me":
		return &api.Me{}
	case "order-page":
		return &api.OrderPage{}
	case "ticket":
		return &api.DownloadTicket{}
	case "review":
		return &api.Review{}
	case "acceptance":
		return &api.LicenseAcceptance{}
	case "acceptances":
		return &api.AcceptanceList{}
	case "access-grant":
		return &api.AccessGrant{}
	case "notifications":
		return &api.NotificationList{}
	}
	return &api.Error{}
}

// contractAnswers drives a portal through every endpoint, so that each
// optional field appears somewhere, and collects the bodies by example.
func contractAnswers(t *testing.T) map[string][][]byte {
	s := newPortal(t, Config{})
	newTestClock(s, testNow.Add(10*time.Hour))
	c := newClient(t, serve(t, s), s)
	out := map[string][][]byte{}
	add := func(name string, want int, resp *http.Response, body []byte) {
		t.Helper()
		if resp.StatusCode != want {
			t.Fatalf("%s: status %d, want %d: %s", name, resp.StatusCode, want, body)
		}
		out[name] = append(out[name], body)
	}

	// Two downloads of one line, then a third that waits for review.
	for _, reason := range []string{"", "lost"} {
		resp, body := c.post(downloadPath("SO-10001", "20"), api.TicketRequest{Reason: reason})
		add("ticket", 200, resp, body)
		c.fetchAll(c.ticket("SO-10001", "20"))
	}
	resp, body := c.post(downloadPath("SO-10001", "20"), api.TicketRequest{Reason: "lab"})
	add("review", 202, resp, body)

	resp, body = c.post(api.PathAccess, api.AccessRequest{Token: s.AccessToken(ForeignOrder)})
	add("access-grant", 200, resp, body)
	resp, body = c.do(http.MethodGet, api.PathMe)
	add("me", 200, resp, body)
	resp, body = c.do(http.MethodGet, api.PathOrders+"?limit=1000")
	add("order-page", 200, resp, body)
	resp, body = c.do(http.MethodGet, api.PathOrders+"?limit=3")
	add("order-page", 200, resp, body)

	path := fill(api.PathAcceptances, "{order}", "SO-10001")
	resp, body = c.post(path, api.LicenseAcceptance{Lines: []string{"10"}, AcceptedAt: testNow})
	add("acceptance", 201, resp, body)
	resp, body = c.do(http.MethodGet, path)
	add("acceptances", 200, resp, body)

	resp, body = c.post(fill(api.PathShare, "{order}", "SO-10001"), api.ShareRequest{
		Grouping: api.GroupOrder, Lines: []api.ShareLine{{Line: "10",
			Emails: []string{"ops@example.com"}, CartonNote: "1", CustomerRef: "R"}}})
	add("notifications", 201, resp, body)
	resp, body = c.do(http.MethodGet, api.PathNotifications)
	add("notifications", 200, resp, body)

	resp, body = c.do(http.MethodPost, downloadPath("SO-10003", "10"))
	add("error", 403, resp, body)
	return out
}
