/* cmd_stubs.c — commands whose issues have not landed yet.  Each refuses
 * with exit 2 rather than pretending to work. */
#include "cmd.h"

#define STUB(n)                                                                                \
	int cmd_##n(int argc, char **argv)                                                     \
	{                                                                                      \
		polc_err(#n, "not implemented yet");                                           \
		return EXIT_USAGE;                                                             \
	}
