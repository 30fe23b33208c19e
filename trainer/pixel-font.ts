// A 5x7 pixel font for the text in raster plots (tick values, axis titles, legend), so the PNG charts
// read on their own without a font library. Each glyph is 7 rows of 5 columns; '#' is ink.
const GLYPHS: Record<string, string> = {
  '0': ' ### ,#   #,#  ##,# # #,##  #,#   #, ### ',
  '1': '  #  , ##  ,  #  ,  #  ,  #  ,  #  , ### ',
  '2': ' ### ,#   #,    #,   # ,  #  , #   ,#####',
  '3': '#####,   # ,  #  ,   # ,    #,#   #, ### ',
  '4': '   # ,  ## , # # ,#  # ,#####,   # ,   # ',
  '5': '#####,#    ,#### ,    #,    #,#   #, ### ',
  '6': '  ## , #   ,#    ,#### ,#   #,#   #, ### ',
  '7': '#####,    #,   # ,  #  , #   , #   , #   ',
  '8': ' ### ,#   #,#   #, ### ,#   #,#   #, ### ',
  '9': ' ### ,#   #,#   #, ####,    #,   # , ##  ',
  '.': '     ,     ,     ,     ,     , ##  , ##  ',
  ',': '     ,     ,     ,     , ##  ,  #  , #   ',
  '-': '     ,     ,     ,#####,     ,     ,     ',
  '+': '     ,  #  ,  #  ,#####,  #  ,  #  ,     ',
  '(': '   # ,  #  , #   , #   , #   ,  #  ,   # ',
  ')': ' #   ,  #  ,   # ,   # ,   # ,  #  , #   ',
  '/': '     ,    #,   # ,  #  , #   ,#    ,     ',
  ':': '     , ##  , ##  ,     , ##  , ##  ,     ',
  '=': '     ,     ,#####,     ,#####,     ,     ',
  ' ': '     ,     ,     ,     ,     ,     ,     ',
  a: '     ,     , ### ,    #, ####,#   #, ####',
  b: '#    ,#    ,# ## ,##  #,#   #,#   #,#### ',
  c: '     ,     , ### ,#    ,#    ,#   #, ### ',
  d: '    #,    #, ## #,#  ##,#   #,#   #, ####',
  e: '     ,     , ### ,#   #,#####,#    , ### ',
  f: '  ## , #  #, #   ,###  , #   , #   , #   ',
  g: '     , ####,#   #,#   #, ####,    #, ### ',
  h: '#    ,#    ,# ## ,##  #,#   #,#   #,#   #',
  i: '  #  ,     , ##  ,  #  ,  #  ,  #  , ### ',
  j: '   # ,     ,  ## ,   # ,   # ,#  # , ##  ',
  k: '#    ,#    ,#  # ,# #  ,##   ,# #  ,#  # ',
  l: ' ##  ,  #  ,  #  ,  #  ,  #  ,  #  , ### ',
  m: '     ,     ,## # ,# # #,# # #,#   #,#   #',
  n: '     ,     ,# ## ,##  #,#   #,#   #,#   #',
  o: '     ,     , ### ,#   #,#   #,#   #, ### ',
  p: '     ,     ,#### ,#   #,#### ,#    ,#    ',
  q: '     ,     , ## #,#  ##, ####,    #,    #',
  r: '     ,     ,# ## ,##  #,#    ,#    ,#    ',
  s: '     ,     , ####,#    , ### ,    #,#### ',
  t: ' #   , #   ,###  , #   , #   , #  #,  ## ',
  u: '     ,     ,#   #,#   #,#   #,#  ##, ## #',
  v: '     ,     ,#   #,#   #,#   #, # # ,  #  ',
  w: '     ,     ,#   #,#   #,# # #,# # #, # # ',
  x: '     ,     ,#   #, # # ,  #  , # # ,#   #',
  y: '     ,     ,#   #,#   #, ####,    #, ### ',
  z: '     ,     ,#####,   # ,  #  , #   ,#####',
  A: ' ### ,#   #,#   #,#####,#   #,#   #,#   #',
  B: '#### ,#   #,#   #,#### ,#   #,#   #,#### ',
  E: '#####,#    ,#    ,#### ,#    ,#    ,#####',
  K: '#   #,#  # ,# #  ,##   ,# #  ,#  # ,#   #',
  L: '#    ,#    ,#    ,#    ,#    ,#    ,#####',
  O: ' ### ,#   #,#   #,#   #,#   #,#   #, ### ',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** advance per character: glyph plus one column of space */
export const ADVANCE = GLYPH_WIDTH + 1;

export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * ADVANCE - 1) * scale;
}

/**
 * Calls `ink(x, y)` for every lit pixel of `text` with its top-left corner at (x, y). `vertical`
 * turns the text 90 degrees counter-clockwise (reading bottom to top, for a y-axis title); (x, y) is
 * then its bottom-left corner. Characters without a glyph are drawn as a box.
 */
export function drawText(text: string, x: number, y: number, ink: (x: number, y: number) => void, scale = 1, vertical = false): void {
  let pen = 0;
  for (const ch of text) {
    const rows = (GLYPHS[ch] ?? '#####,#   #,#   #,#   #,#   #,#   #,#####').split(',');
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (rows[r][c] !== '#') continue;
        for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) {
          const u = (pen + c) * scale + sx; // along the text
          const v = r * scale + sy; // down the glyph
          if (vertical) ink(x + v, y - u);
          else ink(x + u, y + v);
        }
      }
    }
    pen += ADVANCE;
  }
}
