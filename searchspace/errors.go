package searchspace

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them where it
// applies, so callers branch with errors.Is, never on message text.
var (
	// ErrUnknownOp reports an op name that is not in the space's op list.
	ErrUnknownOp = errors.New("unknown op")
	// ErrSyntax reports a malformed architecture string.
	ErrSyntax = errors.New("syntax error")
	// ErrInvalidSpec reports an NB101 spec that breaks a validity rule.
	ErrInvalidSpec = errors.New("invalid spec")
	// ErrUnknownDataset reports a dataset name a cost model does not know.
	ErrUnknownDataset = errors.New("unknown dataset")
)
