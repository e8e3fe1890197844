/* hex.h: hexadecimal digits, as %XX escapes and gpg's status lines use them. */
#ifndef TRESOR_HEX_H
#define TRESOR_HEX_H

/*
 * The value of one hex digit of either case, or -1. (Digests are read by
 * hash_from_hex, which takes lower case only: one spelling per digest.)
 */
int	hex_digit(int c);

#endif
