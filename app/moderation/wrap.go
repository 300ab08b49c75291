package moderation

import (
	"errors"
	"fmt"

	"jiayuan/app/fault"
)

// wrap names what failed, and on what, around an error from below (a store's), so the
// log of an unexpected one says where it came from; errors.Is and errors.As still see
// the cause. A domain fault passes as it is: its code and message are the answer.
func wrap(err error, format string, args ...any) error {
	var f *fault.Error
	if err == nil || errors.As(err, &f) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
