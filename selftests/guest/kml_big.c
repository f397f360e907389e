// SPDX-License-Identifier: GPL-2.0
/*
 * kml-big - a static program of more than 2 MB (an initialised array):
 * kml_policy_test times its exec with the stamp cache cold and warm.
 */
#define BIG_SIZE	(2u << 20)

static const unsigned char big[BIG_SIZE] = { 1, [BIG_SIZE - 1] = 2 };

int main(int argc, char **argv)
{
	(void)argv;
	/* The index is not known at build time: the array stays in the file. */
	return big[(unsigned int)(argc - 1) % BIG_SIZE] == 1 ? 0 : 1;
}
