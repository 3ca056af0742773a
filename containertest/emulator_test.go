package containertest

import (
	"testing"

	"github.com/counterlab/counterlab/emulator/conformance"
)

// TestEmulatorConformance runs the emulator's conformance suite against the
// emulator in a container of the project's image, reached through its
// published port as any SDK client outside Docker would reach it.
func TestEmulatorConformance(t *testing.T) {
	tag := appImage(t)
	c := startEmulator(t, tag)

	ep := endpoint(t, c, emulatorPort)
	conformance.Run(t, conformance.Target{Endpoint: ep, Name: "emulator container " + ep})
}
