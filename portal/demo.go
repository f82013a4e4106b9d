package portal

import (
	"math/rand/v2"

	"lading.dev/lading/api"
)

// The signed-in user and the account that owns every order.
const (
	demoUser   = "demo@lading.test"
	demoBillTo = "Acme Networks, Accounts Payable, 400 Harbor Way, Portland, OR 97209, USA"
)

// The demo user belongs to two company accounts; a third account's order is
// visible only through an order-based access link.
var (
	demoAccount    = api.Account{ID: "ACME-1001", Name: "Acme Networks"}
	europeAccount  = api.Account{ID: "ACME-2002", Name: "Acme Networks Europe"}
	foreignAccount = api.Account{ID: "GLOBEX-3003", Name: "Globex Systems"}
)

// userAccounts are the accounts the demo user belongs to.
var userAccounts = []api.Account{demoAccount, europeAccount}

// Bill-to addresses of the other accounts.
const (
	europeBillTo  = "Acme Networks B.V., Finance, 55 Kanaalweg, 3011 AB Rotterdam, Netherlands"
	foreignBillTo = "Globex Systems Inc., Purchasing, 8 Quarry Lane, Austin, TX 78701, USA"
)

// ForeignOrder is the order of another account that the demo user reaches
// only through an order-based access link; see Server.AccessLink.
const ForeignOrder = "SO-9000001"

// Ship-to addresses of the demo orders.
const (
	shipHQ      = "Acme Networks, Head Office, 400 Harbor Way, Portland, OR 97209, USA"
	shipDCWest  = "Acme Networks, Data Center West, 1200 Foundry Road, Hillsboro, OR 97124, USA"
	shipDCEast  = "Acme Networks, Data Center East, 77 Mill Street, Newark, NJ 07102, USA"
	shipEurope  = "Acme Networks B.V., 55 Kanaalweg, 3011 AB Rotterdam, Netherlands"
	shipCampus  = "Acme Networks, North Campus, 9 Lakeview Drive, Madison, WI 53703, USA"
	shipAPAC    = "Acme Networks Pte. Ltd., 18 Marina Crescent, Singapore 018989"
	shipBranchA = "Acme Networks, Branch Office, 310 Elm Avenue, Boise, ID 83702, USA"
)

// Sizes used by the demo files.
const (
	kib = 1 << 10
	mib = 1 << 20
)

// software returns a software line.
func software(id, product, desc, file string, size int64) lineSpec {
	return lineSpec{id: id, product: product, desc: desc, fileType: api.FileSoftware,
		fileName: file, size: size, qty: 1}
}

// license returns a license line for qty seats or devices.
func license(id, product, desc string, qty int) lineSpec {
	return lineSpec{id: id, product: product, desc: desc, fileType: api.FileLicense, qty: qty}
}

// documentation returns a documentation line.
func documentation(id, product, desc string) lineSpec {
	return lineSpec{id: id, product: product, desc: desc, fileType: api.FileDocumentation,
		qty: 1}
}

// demoSpecs returns the twelve hand-shaped orders of the demo account. Each
// shows one thing a sync client must handle; see docs/portal-api.md.
func demoSpecs() []orderSpec {
	return []orderSpec{
		demoSmallRouter(), demoSmallSwitch(), demoOrderHold(), demoLineHold(),
		demoNotices(), demoArchived(), demoNotEarly(), demoLargeImage(),
		demoManyKeys(), demoSizes(), demoAdvisoryOnly(), demoRecent(),
	}
}

// demoSmallRouter: small, free software lines of 8 B, 1 KiB and 100 KiB
// plus a 1 MiB image, and a license with a claim certificate.
func demoSmallRouter() orderSpec {
	image := software("20", "LR-4400-SW", "LR-4400 edge router system image 17.3.2",
		"img-router-17.3.2.bin", 1*mib)
	image.qty, image.sha512 = 2, true
	return orderSpec{
		number: "SO-10001", po: "PO-48213", shipTo: shipDCWest, age: 20,
		lines: []lineSpec{
			software("10", "LR-4400-SW", "Release identifier for 17.3.2",
				"release-17.3.2.txt", 8),
			image,
			software("30", "LR-4400-CFG", "Configuration templates 2.4",
				"cfg-templates-2.4.tar.gz", 100*kib),
			software("40", "LR-4400-SW", "LR-4400 release notes 17.3.2",
				"notes-router-17.3.2.txt", 1*kib),
			license("50", "LR-4400-SEC-LIC", "LR-4400 security feature license", 2),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "50", paks: 2},
			{kind: api.DocEULA},
			{kind: api.DocInfo},
		},
	}
}

// demoSmallSwitch: two small free software lines, one with a SHA-512, and a
// ten-seat license with a right-to-use letter.
func demoSmallSwitch() orderSpec {
	notes := software("10", "LS-2200-SW", "LS-2200 release notes 9.1.0",
		"notes-switch-9.1.0.txt", 1*kib)
	notes.sha512 = true
	return orderSpec{
		number: "SO-10002", po: "PO-48377", shipTo: shipCampus, age: 14,
		lines: []lineSpec{
			notes,
			software("20", "LS-2200-SW", "LS-2200 access switch system image 9.1.0",
				"img-switch-9.1.0.bin", 3*mib),
			license("30", "LS-2200-ADV-LIC", "LS-2200 advanced routing license", 10),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "30", paks: 1},
			{kind: api.DocRightToUse, lineID: "30"},
			{kind: api.DocEULA},
		},
	}
}

// demoOrderHold: the whole order is on export hold.
func demoOrderHold() orderSpec {
	return orderSpec{
		number: "SO-10003", po: "PO-48502", shipTo: shipAPAC, age: 9,
		holds: []api.Hold{{Type: "export", Reason: "Export screening for the ship-to " +
			"country is in progress. Downloads open once trade compliance " +
			"releases the order."}},
		lines: []lineSpec{
			software("10", "LF-900-SW", "LF-900 firewall system image 7.0.1",
				"img-firewall-7.0.1.bin", 5*mib),
			license("20", "LF-900-THREAT-LIC", "LF-900 threat protection license", 1),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "20", paks: 1},
			{kind: api.DocEULA},
		},
	}
}

// demoLineHold: one line is on compliance hold, the other is free.
func demoLineHold() orderSpec {
	crypto := software("20", "LW-50-SW-K9", "LW-50 strong cryptography image 8.10.4",
		"img-wlc-8.10.4-k9.bin", 12*mib)
	crypto.holds = []api.Hold{{Type: "compliance", Reason: "The strong cryptography " +
		"image needs a signed end-user statement. Upload it on the order page to " +
		"release this line."}}
	return orderSpec{
		number: "SO-10004", po: "PO-48610", shipTo: shipEurope, age: 7, revision: 2,
		lines: []lineSpec{
			software("10", "LW-50-SW", "LW-50 wireless controller image 8.10.4",
				"img-wlc-8.10.4.bin", 20*mib),
			crypto,
		},
		docs: []docSpec{
			{kind: api.DocEULA},
			{kind: api.DocSEULA, lineID: "20"},
			{kind: api.DocInfo},
		},
	}
}

// demoNotices: an advisory that names its replacement line, the replacement
// itself, a deferred line and a line on new product hold, so one order shows
// every way a line can be marked.
func demoNotices() orderSpec {
	old := software("10", "LF-900-SW", "LF-900 firewall system image 7.0.0",
		"img-firewall-7.0.0.bin", 6*mib)
	old.notices = []api.Notice{{Kind: api.NoticeAdvisory, Replacement: "20",
		Text: "Version 7.0.0 can drop VPN tunnels after a key renewal. Install the " +
			"image on line 20 instead."}}
	withdrawn := software("30", "LR-4400-SW", "LR-4400 edge router system image 17.1.0",
		"img-router-17.1.0.bin", 4*mib)
	withdrawn.notices = []api.Notice{{Kind: api.NoticeDeferral,
		Text: "Version 17.1.0 was withdrawn because it fails to boot on early " +
			"hardware. A fixed image will be added to this order."}}
	trial := software("15", "LF-900-SW-EFT", "LF-900 firewall system image 7.1.0, "+
		"early field trial", "img-firewall-7.1.0-eft.bin", 2*mib)
	trial.holds = []api.Hold{{Type: "new product", Reason: "Release 7.1.0 ships once " +
		"the product team signs off the field trial; the line opens by itself then."}}
	return orderSpec{
		number: "SO-10005", po: "PO-47950", shipTo: shipDCEast, age: 30, revision: 3,
		lines: []lineSpec{
			old,
			trial,
			software("20", "LF-900-SW", "LF-900 firewall system image 7.0.2",
				"img-firewall-7.0.2.bin", 6*mib+512*kib),
			withdrawn,
			license("40", "LF-900-VPN-LIC", "LF-900 remote access VPN license", 3),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "40", paks: 3},
			{kind: api.DocEULA},
		},
	}
}

// demoArchived: an order older than fifteen months, archived by the portal.
func demoArchived() orderSpec {
	return orderSpec{
		number: "SO-10006", po: "PO-41077", shipTo: shipHQ, age: 500,
		lines: []lineSpec{
			software("10", "LR-4400-SW", "LR-4400 edge router system image 16.9.4",
				"img-router-16.9.4.bin", 2*mib),
			license("20", "LR-4400-BASE-LIC", "LR-4400 base license", 2),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "20", paks: 2},
			{kind: api.DocEULA},
		},
	}
}

// demoNotEarly: the customer refused early shipment and asked for a date
// three weeks ahead.
func demoNotEarly() orderSpec {
	return orderSpec{
		number: "SO-10007", po: "PO-48795", shipTo: shipBranchA, age: 3,
		noEarly: true, requested: 21,
		lines: []lineSpec{
			software("10", "LS-2200-SW", "LS-2200 access switch system image 9.2.1",
				"img-switch-9.2.1.bin", 8*mib),
			license("20", "LS-2200-POE-LIC", "LS-2200 power budget upgrade", 48),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "20", paks: 3},
			{kind: api.DocRightToUse, lineID: "20"},
			{kind: api.DocEULA},
		},
	}
}

// demoLargeImage: one image of exactly 256 MiB, and a documentation line.
func demoLargeImage() orderSpec {
	return orderSpec{
		number: "SO-10008", po: "PO-48420", shipTo: shipDCWest, age: 12,
		lines: []lineSpec{
			software("10", "LC-8000-SW", "LC-8000 core router system image 21.2.1",
				"img-core-21.2.1.bin", 256*mib),
			documentation("20", "LC-8000-DOC", "LC-8000 installation guide"),
		},
		docs: []docSpec{
			{kind: api.DocEULA},
			{kind: api.DocSEULA, lineID: "10"},
			{kind: api.DocInfo, lineID: "20"},
		},
	}
}

// demoManyKeys: two licenses, two claim certificates, one of them with three
// keys, and every kind of document.
func demoManyKeys() orderSpec {
	return orderSpec{
		number: "SO-10009", po: "PO-47212", shipTo: shipCampus, age: 45, revision: 2,
		lines: []lineSpec{
			license("10", "LA-10-AP-LIC", "LA-10 access point licenses, pack of 25", 25),
			license("20", "LW-50-HA-LIC", "LW-50 high availability license", 1),
			software("30", "LW-50-SW", "LW-50 wireless controller image 8.10.5",
				"img-wlc-8.10.5.bin", 9*mib),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "10", paks: 3},
			{kind: api.DocClaimCertificate, lineID: "20", paks: 1},
			{kind: api.DocRightToUse},
			{kind: api.DocEULA},
			{kind: api.DocSEULA, lineID: "30"},
			{kind: api.DocInfo},
		},
	}
}

// demoSizes: files of 64 KiB, 512 KiB and 10 MiB, the largest with a
// SHA-512.
func demoSizes() orderSpec {
	image := software("20", "LR-4400-SW", "LR-4400 edge router system image 17.3.3",
		"img-router-17.3.3.bin", 10*mib)
	image.sha512 = true
	return orderSpec{
		number: "SO-10010", po: "PO-46888", shipTo: shipDCEast, age: 60,
		lines: []lineSpec{
			software("10", "LR-4400-DIAG", "Diagnostic tools 3.2.1",
				"diag-tools-3.2.1.zip", 64*kib),
			image,
			software("30", "LR-4400-MIB", "Management information base bundle 17.3",
				"mib-bundle-17.3.zip", 512*kib),
		},
		docs: []docSpec{{kind: api.DocEULA}, {kind: api.DocInfo}},
	}
}

// demoAdvisoryOnly: an advisory with no replacement, a documentation line
// and a document tied to it.
func demoAdvisoryOnly() orderSpec {
	image := software("10", "LS-2200-SW", "LS-2200 access switch system image 9.0.4",
		"img-switch-9.0.4.bin", 7*mib)
	image.notices = []api.Notice{{Kind: api.NoticeAdvisory,
		Text: "Read the release notes before upgrading stacked switches: members " +
			"must be upgraded together."}}
	return orderSpec{
		number: "SO-10011", po: "PO-46301", shipTo: shipEurope, age: 90, revision: 4,
		lines: []lineSpec{
			image,
			documentation("20", "LS-2200-DOC", "LS-2200 release notes 9.0.4"),
			license("30", "LS-2200-STACK-LIC", "LS-2200 stacking license", 4),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "30", paks: 2},
			{kind: api.DocEULA},
			{kind: api.DocInfo, lineID: "20"},
		},
	}
}

// demoRecent: yesterday's order for access points, five of them.
func demoRecent() orderSpec {
	image := software("10", "LA-10-SW", "LA-10 access point image 2.6.0",
		"img-ap-2.6.0.bin", 768*kib)
	image.qty = 5
	return orderSpec{
		number: "SO-10012", po: "PO-48990", shipTo: shipHQ, age: 1,
		lines: []lineSpec{
			image,
			license("20", "LA-10-MESH-LIC", "LA-10 mesh networking license", 5),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "20", paks: 1},
			{kind: api.DocRightToUse, lineID: "20"},
			{kind: api.DocEULA},
		},
	}
}

// otherSpecs returns the orders outside the demo account: three of the
// second account the demo user belongs to, generated like the scaled ones,
// and one of a foreign account. Their numbers sit far above the generated
// ones so that no account size makes them collide.
func otherSpecs(seed int64) []orderSpec {
	specs := make([]orderSpec, 0, 4)
	for i := range 3 {
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(8_000_000+i)))
		sp := generateOrder(rng, 7_990_001+i, 0)
		sp.account, sp.billTo, sp.shipTo = europeAccount, europeBillTo, shipEurope
		sp.age = 5 + 40*i
		specs = append(specs, sp)
	}
	return append(specs, foreignOrder())
}

// foreignOrder is Globex's order that an access link opens to the demo user.
func foreignOrder() orderSpec {
	return orderSpec{
		number: ForeignOrder, account: foreignAccount, billTo: foreignBillTo,
		po: "GX-7741", shipTo: "Globex Systems Inc., Lab 2, 8 Quarry Lane, Austin, TX 78701, USA",
		age: 6,
		lines: []lineSpec{
			software("10", "LS-2200-SW", "LS-2200 access switch system image 9.1.0",
				"img-switch-9.1.0.bin", 512*kib),
			license("20", "LS-2200-ADV-LIC", "LS-2200 advanced routing license", 2),
		},
		docs: []docSpec{
			{kind: api.DocClaimCertificate, lineID: "20", paks: 1},
			{kind: api.DocEULA},
		},
	}
}
