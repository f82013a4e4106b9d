package portal

import (
	"bytes"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"lading.dev/lading/api"
)

// pdfPage is what one license document shows.
type pdfPage struct {
	kind    string
	title   string
	order   string
	po      string
	account api.Account
	// line, product and quantity describe the line the document belongs
	// to; line is empty for an order-level document.
	line     string
	product  string
	quantity string
	paks     []string
	issued   time.Time
}

// docTitles are the headings of each kind of document.
var docTitles = map[string]string{
	api.DocClaimCertificate: "Claim Certificate",
	api.DocEULA:             "End User License Agreement",
	api.DocSEULA:            "Supplemental End User License Agreement",
	api.DocRightToUse:       "Right-to-Use Letter",
	api.DocInfo:             "Order Information",
}

// notices holds the body text of each kind of document. The texts are
// fictional and written for this demo.
var notices = map[string]string{
	api.DocClaimCertificate: "Keep this certificate. Each product authorization key " +
		"below unlocks the licensed feature once, on one device, when it is " +
		"entered in the device's license manager.",
	api.DocEULA: "The software delivered under this order is licensed, not sold. " +
		"You may install it on the equipment named in the order and keep one " +
		"copy for backup. Further terms are available from your account team.",
	api.DocSEULA: "These supplemental terms add to the end user license " +
		"agreement for the line named above. Where the two differ, these " +
		"terms apply to that line only.",
	api.DocRightToUse: "This letter confirms that the account named above may " +
		"use the listed product in the quantity ordered, from the date of " +
		"issue, for as long as the order stays in good standing.",
	api.DocInfo: "This sheet summarises the order for your records. It carries " +
		"no license and needs no action.",
}

// renderPDF draws the page and returns the PDF bytes. The output depends only
// on the page, so two calls with the same page give the same bytes.
func renderPDF(p pdfPage) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(p.issued)
	pdf.SetModificationDate(p.issued)
	pdf.SetProducer("Lading demo portal", false)
	pdf.SetTitle(p.title+" "+p.order, false)
	pdf.AddPage()

	drawHeader(pdf, p)
	drawFacts(pdf, p)
	drawPAKs(pdf, p.paks)
	drawNotice(pdf, notices[p.kind])

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render %s of %s: %w", p.kind, p.order, err)
	}
	return buf.Bytes(), nil
}

// drawHeader writes the document title.
func drawHeader(pdf *fpdf.Fpdf, p pdfPage) {
	pdf.SetFont("Helvetica", "B", 20)
	pdf.CellFormat(0, 12, p.title, "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.CellFormat(0, 6, "Lading demo portal - issued "+p.issued.Format(time.DateOnly),
		"B", 1, "L", false, 0, "")
	pdf.Ln(4)
}

// drawFacts writes the order, account and line the document belongs to.
func drawFacts(pdf *fpdf.Fpdf, p pdfPage) {
	facts := [][2]string{
		{"Sales order", p.order},
		{"Purchase order", p.po},
		{"Account", p.account.ID + " - " + p.account.Name},
	}
	if p.line != "" {
		facts = append(facts,
			[2]string{"Line", p.line},
			[2]string{"Product", p.product},
			[2]string{"Quantity", p.quantity})
	}
	for _, f := range facts {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(40, 7, f[0], "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 11)
		pdf.CellFormat(0, 7, f[1], "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
}

// drawPAKs lists the product authorization keys, if the document has any.
func drawPAKs(pdf *fpdf.Fpdf, paks []string) {
	if len(paks) == 0 {
		return
	}
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 8, "Product authorization keys", "", 1, "L", false, 0, "")
	pdf.SetFont("Courier", "", 12)
	for _, pak := range paks {
		pdf.CellFormat(0, 7, pak, "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
}

// drawNotice writes the body text and the closing line.
func drawNotice(pdf *fpdf.Fpdf, text string) {
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(0, 5, text, "", "L", false)
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "I", 8)
	pdf.MultiCell(0, 4, "This document was made by a demonstration server. "+
		"It is fictional and grants no rights.", "", "L", false)
}
