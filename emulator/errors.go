package emulator

import (
	"errors"
	"net/http"
	"strings"
)

// Error is a failure of a control call, in-process or over HTTP. Over HTTP
// it is the JSON body {"error":"snake_case","message":"human text"} with a
// 4xx Status. Compare codes with errors.Is against the sentinels.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return "emulator: " + e.Message }

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for the control API's error codes.
var (
	ErrInvalid       = &Error{Code: "invalid_argument"}
	ErrAppNotFound   = &Error{Code: "app_not_found"}
	ErrUserNotFound  = &Error{Code: "user_not_found"}
	ErrGrantNotFound = &Error{Code: "grant_not_found"}
	ErrGrantState    = &Error{Code: "grant_state"}
	ErrWrongUser     = &Error{Code: "wrong_user"}
	ErrWrongAppType  = &Error{Code: "wrong_app_type"}
	ErrNoSession     = &Error{Code: "no_session"}
)

// invalid is a 400 listing every problem of the input.
func invalid(problems ...string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_argument", Message: strings.Join(problems, "; ")}
}

func wrongAppType(appid, want string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "wrong_app_type", Message: "app " + appid + " is not a " + want + " app"}
}

// asError turns any error into an *Error for the control API.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}
