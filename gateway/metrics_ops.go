package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// registerOpsMetrics adds the gauges the operations kit's alert rules
// (deploy/prometheus/wxgate-rules.yml) need beyond the counters.
func (s *Server) registerOpsMetrics() {
	s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wxgate_keyring_active_key_created_timestamp_seconds",
		Help: "When the keyring's active key was created (Unix seconds): rotate keys before it grows old.",
	}, func() float64 {
		kr := s.keyring()
		if kr == nil {
			return 0
		}
		for _, k := range kr.Keys() {
			if k.Active {
				return float64(k.Created.Unix())
			}
		}
		return 0
	}))
}
