package e2e

import (
	"testing"

	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }
