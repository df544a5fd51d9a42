/*
 * cli_image.h - the `berth image ...` / `berth images` verbs, which work
 * on the image store directly (no daemon).
 */
#ifndef BERTH_IMAGES_CLI_IMAGE_H
#define BERTH_IMAGES_CLI_IMAGE_H

/* argv[1] is "image" or "images". Returns the exit code. */
int images_cli_main(int argc, char **argv);

#endif
