package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the embedded OpenAPI 3.1 document.
func OpenAPI() []byte { return openAPIDoc }

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", s.doc)
}

// mergeOpenAPI adds the mounts' path items to the base document.
func mergeOpenAPI(base []byte, mounts []Mount) ([]byte, error) {
	if len(mounts) == 0 {
		return base, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, err
	}
	paths := doc["paths"].(map[string]any)
	for _, m := range mounts {
		for p, item := range m.Paths {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("openapi: path %s is documented twice", p)
			}
			paths[p] = item
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}
