/* client/main.c: placeholder entry point, replaced by the client core. */
#include <stdio.h>
#include "migrate.h"

int
main(int argc, char **argv)
{
	fprintf(stderr, "migrate %s: commands are not built yet\n", MIGRATE_VERSION);
	return EXIT_ERROR;
}
