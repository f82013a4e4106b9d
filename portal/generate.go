package portal

import (
	"fmt"
	"math"
	"math/rand/v2"

	"lading.dev/lading/api"
)

// product is a catalogue entry that generated lines are made from.
type product struct {
	id    string
	name  string
	image string
}

// catalogue lists the made-up products of generated orders.
var catalogue = []product{
	{id: "LR-4400", name: "edge router", image: "img-router"},
	{id: "LS-2200", name: "access switch", image: "img-switch"},
	{id: "LF-900", name: "firewall", image: "img-firewall"},
	{id: "LW-50", name: "wireless controller", image: "img-wlc"},
	{id: "LA-10", name: "access point", image: "img-ap"},
}

// shipTos are the addresses generated orders ship to.
var shipTos = []string{shipHQ, shipDCWest, shipDCEast, shipEurope, shipCampus, shipAPAC,
	shipBranchA}

// Generated files are small so that an account of ten thousand orders hashes
// in a moment.
const (
	genMinSize = 1 * kib
	genMaxSize = 64 * kib
)

// generateSpecs returns count generated orders numbered after the first
// skip ones. Each order draws from its own random source seeded by the seed
// and its position, so an order does not change when count does. lines is
// the average number of lines per order; 0 keeps the usual 1 to 8.
func generateSpecs(seed int64, skip, count, lines int) []orderSpec {
	specs := make([]orderSpec, count)
	for i := range specs {
		n := skip + i + 1
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(n)))
		specs[i] = generateOrder(rng, n, lines)
	}
	return specs
}

// lineCount draws how many lines a generated order has: 1 to 8 by default,
// else 1 to 2*avg-1, which averages avg.
func lineCount(rng *rand.Rand, avg int) int {
	if avg <= 0 {
		return 1 + rng.IntN(8)
	}
	return 1 + rng.IntN(2*avg-1)
}

// generateOrder returns generated order number n.
func generateOrder(rng *rand.Rand, n, lines int) orderSpec {
	sp := orderSpec{
		number:   fmt.Sprintf("SO-%d", 10000+n),
		po:       fmt.Sprintf("PO-%d", 50000+rng.IntN(50000)),
		shipTo:   shipTos[rng.IntN(len(shipTos))],
		age:      1 + rng.IntN(540),
		revision: 1 + int64(rng.IntN(3)),
		stamped:  true,
	}
	if chance(rng, 0.08) {
		sp.noEarly, sp.requested = true, 1+rng.IntN(60)
	}
	if chance(rng, 0.03) {
		sp.holds = []api.Hold{{Type: "export",
			Reason: "Export screening is in progress. Downloads open once it is released."}}
	}

	for i := range lineCount(rng, lines) {
		sp.lines = append(sp.lines, generateLine(rng, fmt.Sprint((i+1)*10)))
	}
	sp.docs = generateDocs(rng, sp.lines)
	return sp
}

// generateLine returns one generated line: mostly software, some licenses
// and a few documentation lines.
func generateLine(rng *rand.Rand, id string) lineSpec {
	p := catalogue[rng.IntN(len(catalogue))]
	version := fmt.Sprintf("%d.%d.%d", 1+rng.IntN(20), rng.IntN(10), rng.IntN(10))
	switch r := rng.Float64(); {
	case r < 0.2:
		return license(id, p.id+"-LIC", fmt.Sprintf("%s %s feature license", p.id, p.name),
			1+rng.IntN(50))
	case r < 0.28:
		return documentation(id, p.id+"-DOC",
			fmt.Sprintf("%s %s installation guide", p.id, p.name))
	}

	l := software(id, p.id+"-SW", fmt.Sprintf("%s %s image %s", p.id, p.name, version),
		fmt.Sprintf("%s-%s.bin", p.image, version), logUniform(rng, genMinSize, genMaxSize))
	l.qty = 1 + rng.IntN(4)
	l.sha512 = chance(rng, 0.05)
	addTrouble(rng, &l)
	return l
}

// addTrouble gives a few software lines a hold, an advisory or a deferral.
func addTrouble(rng *rand.Rand, l *lineSpec) {
	switch r := rng.Float64(); {
	case r < 0.03:
		l.holds = []api.Hold{{Type: "compliance",
			Reason: "This image needs a signed end-user statement before release."}}
	case r < 0.06:
		l.notices = []api.Notice{{Kind: api.NoticeAdvisory,
			Text: "A newer image fixes known faults; read its release notes."}}
	case r < 0.08:
		l.notices = []api.Notice{{Kind: api.NoticeDeferral,
			Text: "This image was withdrawn. A fixed one will follow."}}
	}
}

// generateDocs returns the documents of a generated order: an EULA, a claim
// certificate for every license line, and now and then a right-to-use letter,
// a supplemental EULA or an information sheet.
func generateDocs(rng *rand.Rand, lines []lineSpec) []docSpec {
	docs := []docSpec{{kind: api.DocEULA}}
	for _, l := range lines {
		switch {
		case l.fileType == api.FileLicense:
			docs = append(docs, docSpec{kind: api.DocClaimCertificate, lineID: l.id,
				paks: 1 + rng.IntN(maxPAKs)})
		case l.fileType == api.FileDocumentation:
			docs = append(docs, docSpec{kind: api.DocInfo, lineID: l.id})
		case chance(rng, 0.1):
			docs = append(docs, docSpec{kind: api.DocSEULA, lineID: l.id})
		}
	}
	if chance(rng, 0.3) {
		docs = append(docs, docSpec{kind: api.DocRightToUse})
	}
	return docs
}

// chance reports true with probability p.
func chance(rng *rand.Rand, p float64) bool { return rng.Float64() < p }

// logUniform returns a size between lo and hi whose logarithm is uniform, so
// small files are as common as large ones.
func logUniform(rng *rand.Rand, lo, hi int64) int64 {
	ratio := float64(hi) / float64(lo)
	return int64(float64(lo) * math.Pow(ratio, rng.Float64()))
}
