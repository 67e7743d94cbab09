/* cmd_sig.c — placeholder for keygen/sign/verify. */
#include "cmd.h"

int cmd_keygen(int argc, char **argv) { polc_err("keygen", "not implemented"); return EXIT_USAGE; }
int cmd_sign(int argc, char **argv) { polc_err("sign", "not implemented"); return EXIT_USAGE; }
int cmd_verify(int argc, char **argv) { polc_err("verify", "not implemented"); return EXIT_USAGE; }
