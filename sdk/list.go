package sdk

// List is one page of a management API list.
type List[T any] struct {
	Data  []T `json:"data"`
	Total int `json:"total"` // across all pages
	Page  int `json:"page"`
	Limit int `json:"limit"`
}
