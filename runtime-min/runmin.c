/* runmin.c — placeholder until the runmin issue lands: refuses to run. */
#include <stdio.h>

int main(void)
{
	fputs("runmin: not implemented yet\n", stderr);
	return 125;
}
