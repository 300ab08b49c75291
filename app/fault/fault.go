// Package fault defines the errors the domain returns and the messages they carry, as
// catalog keys with arguments.
//
// Handlers map these to HTTP statuses in one place; anything else is an internal error
// whose text is logged and never shown to the client.
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies a domain error for the transport layer.
type Kind int

const (
	KindInternal Kind = iota
	KindNotFound
	KindForbidden
	KindUnauthorized
	KindConflict
	KindInvalid
	KindLocked
	KindTooMany
	KindBadRequest
	KindUnavailable
)

// Error is a domain error. It carries no prose: its message is a key into the catalogs
// of frontend/i18n with named arguments, translated at the edge into the reader's
// language, so one error reads right in each of them.
type Error struct {
	Kind  Kind
	Code  string // machine-readable and stable (clients use it), e.g. "not_found", "invalid_title"
	Key   string // the message's key in the catalogs, e.g. "err_title_empty"
	Args  []any  // the message's arguments as name, value pairs: "max", 50, "has", 61
	Field string // the offending input field, if any
	Err   error  // the cause, logged only
}

// Error gives the key and its arguments, for the log; readers get the translation.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Key)
	for i := 0; i+1 < len(e.Args); i += 2 {
		fmt.Fprintf(&b, " %v=%q", e.Args[i], fmt.Sprint(e.Args[i+1]))
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrNotFound) match any not-found error, whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is; they match any *Error of the same kind.
var (
	ErrNotFound     = &Error{Kind: KindNotFound}
	ErrForbidden    = &Error{Kind: KindForbidden}
	ErrUnauthorized = &Error{Kind: KindUnauthorized}
	ErrConflict     = &Error{Kind: KindConflict}
	ErrInvalid      = &Error{Kind: KindInvalid}
	ErrLocked       = &Error{Kind: KindLocked}
)

// NotFoundPrefix begins the key of every not-found message: NotFound("board") reads
// the catalogs' "not_found_board".
const NotFoundPrefix = "not_found_"

// NotFound says that the named thing ("board", "thread", "post"…) does not exist.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Key: NotFoundPrefix + what}
}

// Forbidden says the user may not do this.
func Forbidden(key string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Code: "forbidden", Key: key, Args: args}
}

// Unauthorized says the user must sign in first.
func Unauthorized(key string, args ...any) *Error {
	return &Error{Kind: KindUnauthorized, Code: "unauthorized", Key: key, Args: args}
}

// Deny refuses an action the user may not do: a guest (userID 0) is asked to sign in
// first, anyone else is told key.
func Deny(userID int64, key string, args ...any) *Error {
	if userID == 0 {
		return Unauthorized("err_sign_in_first")
	}
	return Forbidden(key, args...)
}

// Conflict says the request clashes with existing data (a taken username, say).
func Conflict(code, key string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Key: key, Args: args}
}

// Invalid says an input field is wrong and how.
func Invalid(field, key string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: "invalid_" + field, Field: field, Key: key, Args: args}
}

// Locked says the target refuses changes (a locked thread).
func Locked(key string, args ...any) *Error {
	return &Error{Kind: KindLocked, Code: "locked", Key: key, Args: args}
}

// TooMany says the caller is rate limited.
func TooMany(key string, args ...any) *Error {
	return &Error{Kind: KindTooMany, Code: "rate_limited", Key: key, Args: args}
}

// BadRequest says the request itself is malformed (not JSON, not UTF-8).
func BadRequest(code, key string, args ...any) *Error {
	return &Error{Kind: KindBadRequest, Code: code, Key: key, Args: args}
}

// Unavailable says the service cannot answer just now (an index rebuilding).
func Unavailable(code, key string, args ...any) *Error {
	return &Error{Kind: KindUnavailable, Code: code, Key: key, Args: args}
}

// KindOf returns the kind of err, KindInternal for anything that is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Wrap names what failed, and on what, around an error from below (a store's), so the
// log of an unexpected one says where it came from; errors.Is and errors.As still see
// the cause. A domain fault passes as it is: its code and message are the answer.
func Wrap(err error, format string, args ...any) error {
	var f *Error
	if err == nil || errors.As(err, &f) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
