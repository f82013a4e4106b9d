package sync

import (
	"sort"
	"strconv"

	"lading.dev/lading/api"
)

type portalOrder = api.Order

func sortStrings(s []string) { sort.Strings(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
