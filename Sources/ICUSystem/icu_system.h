// Pulled in only by the C shim (CICUShim); no Swift module imports this.
#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <unicode/utrans.h>
#include <unicode/unorm2.h>
#include <unicode/ucsdet.h>
#include <unicode/ucnv.h>
