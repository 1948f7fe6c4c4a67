package main

import (
	"fmt"
	"strconv"
	"strings"
)

// evalCond evaluates a preprocessor #if expression built from defined(X),
// macros, integers, parentheses, !, ==, !=, && and ||.
func evalCond(expr string, macros map[string]string) (bool, error) {
	p := &condParser{toks: tokenize(expr), macros: macros}
	v, err := p.or()
	if err != nil {
		return false, fmt.Errorf("#if %s: %w", expr, err)
	}
	if p.pos != len(p.toks) {
		return false, fmt.Errorf("#if %s: trailing %q", expr, p.toks[p.pos])
	}
	return v != 0, nil
}

// tokenize splits an expression into identifiers, numbers and operators.
func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||") ||
			strings.HasPrefix(s[i:], "==") || strings.HasPrefix(s[i:], "!="):
			toks = append(toks, s[i:i+2])
			i += 2
		case c == '(' || c == ')' || c == '!':
			toks = append(toks, string(c))
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t()!&|=", s[j]) < 0 {
				j++
			}
			if j == i {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

// condParser is a recursive-descent parser over tokens, lowest
// precedence first: || then && then ==/!= then unary.
type condParser struct {
	toks   []string
	pos    int
	macros map[string]string
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) next() string {
	t := p.peek()
	p.pos++
	return t
}

func (p *condParser) or() (int64, error) {
	v, err := p.and()
	for err == nil && p.peek() == "||" {
		p.next()
		var r int64
		r, err = p.and()
		v = b2i(v != 0 || r != 0)
	}
	return v, err
}

func (p *condParser) and() (int64, error) {
	v, err := p.cmp()
	for err == nil && p.peek() == "&&" {
		p.next()
		var r int64
		r, err = p.cmp()
		v = b2i(v != 0 && r != 0)
	}
	return v, err
}

func (p *condParser) cmp() (int64, error) {
	v, err := p.unary()
	for err == nil && (p.peek() == "==" || p.peek() == "!=") {
		op := p.next()
		var r int64
		r, err = p.unary()
		v = b2i((v == r) == (op == "=="))
	}
	return v, err
}

func (p *condParser) unary() (int64, error) {
	switch t := p.next(); {
	case t == "!":
		v, err := p.unary()
		return b2i(v == 0), err
	case t == "(":
		v, err := p.or()
		if err == nil && p.next() != ")" {
			err = fmt.Errorf("missing )")
		}
		return v, err
	case t == "defined":
		paren := p.peek() == "("
		if paren {
			p.next()
		}
		name := p.next()
		if paren && p.next() != ")" {
			return 0, fmt.Errorf("missing ) after defined(%s", name)
		}
		_, ok := p.macros[name]
		return b2i(ok), nil
	case isIdent(t):
		return macroValue(t, p.macros, 0)
	case t == "":
		return 0, fmt.Errorf("unexpected end")
	default:
		n, err := strconv.ParseInt(strings.TrimRight(t, "uUlL"), 0, 64)
		if err != nil {
			return 0, fmt.Errorf("bad token %q", t)
		}
		return n, nil
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
