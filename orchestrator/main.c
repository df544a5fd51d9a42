/*
 * main.c - `berth up` runs the daemon; `berth image(s)` works on the image
 * store; every other verb is the CLI.
 */
#include <string.h>

#include "../cli/cli.h"
#include "../common/fdlimit.h"
#include "../images/cli_image.h"
#include "daemon.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "up"))
		return fdlimit_raise(), daemon_main(argc, argv);
	if (argc > 1 &&
	    (!strcmp(argv[1], "image") || !strcmp(argv[1], "images")))
		return images_cli_main(argc, argv);
	return cli_main(argc, argv);
}
