package dashboards

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/server"
)

// Mount serves the dashboards under /api/v1: GET /dashboards lists them,
// GET /dashboards/{uid} returns one dashboard model, ready for Grafana's
// import or its dashboard API. They are built once, when Mount is called.
func Mount(o Options) server.Mount {
	ds, err := Build(o)
	byUID := map[string][]byte{}
	type entry struct {
		UID   string `json:"uid"`
		Title string `json:"title"`
		URL   string `json:"url"`
	}
	list := []entry{}
	for _, d := range ds {
		byUID[d.UID] = d.JSON
		list = append(list, entry{UID: d.UID, Title: d.Title, URL: "/api/v1/dashboards/" + d.UID})
	}
	fail := func(c *gin.Context, status int, msg string) {
		c.AbortWithStatusJSON(status, gin.H{"error": msg})
	}
	return server.Mount{
		Register: func(api *gin.RouterGroup) {
			api.GET("/dashboards", func(c *gin.Context) {
				if err != nil {
					fail(c, http.StatusInternalServerError, "dashboards could not be built: "+err.Error())
					return
				}
				c.JSON(http.StatusOK, gin.H{"dashboards": list})
			})
			api.GET("/dashboards/:uid", func(c *gin.Context) {
				if err != nil {
					fail(c, http.StatusInternalServerError, "dashboards could not be built: "+err.Error())
					return
				}
				b, ok := byUID[c.Param("uid")]
				if !ok {
					fail(c, http.StatusNotFound, "no dashboard "+c.Param("uid")+" (see GET /api/v1/dashboards)")
					return
				}
				c.Data(http.StatusOK, "application/json", b)
			})
		},
		Paths: openAPIPaths(),
	}
}

func openAPIPaths() map[string]any {
	errorBody := map[string]any{
		"description": "",
		"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
			"type": "object", "required": []string{"error"},
			"properties": map[string]any{"error": map[string]any{"type": "string"}},
		}}},
	}
	withDesc := func(d string) map[string]any {
		out := map[string]any{}
		for k, v := range errorBody {
			out[k] = v
		}
		out["description"] = d
		return out
	}
	return map[string]any{
		"/api/v1/dashboards": map[string]any{
			"get": map[string]any{
				"summary":     "List the Grafana dashboards",
				"description": "The generated Grafana dashboards (executive overview, delivery, service management, flow, Throughline itself): the same files deploy/grafana/dashboards provisions.",
				"responses": map[string]any{
					"200": map[string]any{
						"description": "The dashboards.",
						"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
							"type": "object", "required": []string{"dashboards"},
							"properties": map[string]any{"dashboards": map[string]any{
								"type": "array",
								"items": map[string]any{
									"type": "object", "required": []string{"uid", "title", "url"},
									"properties": map[string]any{
										"uid":   map[string]any{"type": "string"},
										"title": map[string]any{"type": "string"},
										"url":   map[string]any{"type": "string"},
									},
								},
							}},
						}}},
					},
					"500": withDesc("The dashboards could not be built."),
				},
			},
		},
		"/api/v1/dashboards/{uid}": map[string]any{
			"get": map[string]any{
				"summary":     "One Grafana dashboard model",
				"description": "A Grafana dashboard JSON model (schemaVersion 42), for Grafana's import or POST /api/dashboards/db as {\"dashboard\": ...}.",
				"parameters": []any{map[string]any{
					"name": "uid", "in": "path", "required": true,
					"schema":      map[string]any{"type": "string"},
					"description": "Dashboard uid, from GET /api/v1/dashboards.",
				}},
				"responses": map[string]any{
					"200": map[string]any{
						"description": "The dashboard model.",
						"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}},
					},
					"404": withDesc("No dashboard has this uid."),
					"500": withDesc("The dashboards could not be built."),
				},
			},
		},
	}
}
