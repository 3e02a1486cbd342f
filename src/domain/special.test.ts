import { describe, expect, it } from 'vitest';
import { digamma, hyp2f1, lnBeta, lnGamma, sigmoid, softplus } from './special.ts';

const eulerGamma = 0.5772156649015329;

describe('lnGamma', () => {
  it('matches factorials and Γ(1/2) = √π', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 14);
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    // beyond where Γ itself overflows a double: ln(199!) as a sum of logarithms
    let lnFactorial = 0;
    for (let k = 2; k < 200; k++) lnFactorial += Math.log(k);
    expect(lnGamma(200)).toBeCloseTo(lnFactorial, 9);
  });
  it('satisfies Γ(x + 1) = x Γ(x) for small x', () => {
    for (const x of [1e-6, 0.01, 0.243, 0.793, 2.426, 33.3]) {
      expect(lnGamma(x + 1) - lnGamma(x)).toBeCloseTo(Math.log(x), 11);
    }
  });
  it('lnBeta(a, b) = ln(Γ(a)Γ(b)/Γ(a+b)): B(2, 3) = 1/12', () => {
    expect(lnBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 13);
  });
});

describe('digamma', () => {
  it('matches known values', () => {
    expect(digamma(1)).toBeCloseTo(-eulerGamma, 13);
    expect(digamma(0.5)).toBeCloseTo(-eulerGamma - 2 * Math.log(2), 13);
    expect(digamma(10)).toBeCloseTo(2.251752589066721, 13);
  });
  it('is the derivative of lnGamma (central difference)', () => {
    for (const x of [0.05, 0.7, 3.2, 250]) {
      const h = 1e-5 * Math.max(1, x);
      expect(digamma(x)).toBeCloseTo((lnGamma(x + h) - lnGamma(x - h)) / (2 * h), 6);
    }
  });
  it('is NaN outside its domain here', () => {
    expect(digamma(0)).toBeNaN();
  });
});

describe('hyp2f1', () => {
  it('matches closed forms', () => {
    // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z and ₂F₁(a, b; b; z) = (1 − z)^(−a)
    for (const z of [0.01, 0.5, 0.95]) {
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 12);
      expect(hyp2f1(0.3, 2.5, 2.5, z)).toBeCloseTo((1 - z) ** -0.3, 12);
    }
  });
  it('satisfies Euler’s transformation', () => {
    const [a, b, c, z] = [0.243, 2.426, 2.219, 0.6];
    expect(hyp2f1(a, b, c, z)).toBeCloseTo((1 - z) ** (c - a - b) * hyp2f1(c - a, c - b, c, z), 12);
  });
  it('refuses z outside [0, 1)', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
  });
});

describe('softplus and sigmoid', () => {
  it('do not overflow', () => {
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(0)).toBeCloseTo(Math.log(2), 15);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
  });
});
